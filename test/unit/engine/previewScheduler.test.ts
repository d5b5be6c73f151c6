// The live-preview throttle (main/engine/host/previewScheduler.ts) on a fake clock: decodes never
// overlap, the newest waiting grid wins, and decoding stays within its share of the wall time.
import { describe, expect, it } from 'vitest';
import { PreviewScheduler } from '../../../main/engine/host/previewScheduler.ts';

function harness(decodeMs: number, expectedMs = 0) {
  let now = 0;
  const decoded: number[] = [];
  let finish: (() => void) | undefined;
  const scheduler = new PreviewScheduler<number>({
    budget: 0.1,
    expectedMs,
    now: () => now,
    decode: (n) =>
      new Promise<void>((resolve) => {
        decoded.push(n);
        finish = () => {
          now += decodeMs;
          resolve();
        };
      }),
  });
  return { scheduler, decoded, advance: (ms: number) => (now += ms), finish: async () => (finish?.(), (finish = undefined), await Promise.resolve(), await Promise.resolve(), await Promise.resolve()) };
}

describe('PreviewScheduler', () => {
  it('decodes the first grid at once, then keeps decodes to 10 % of the time, newest grid first', async () => {
    const h = harness(100);
    h.scheduler.offer(32);
    expect(h.decoded).toEqual([32]);
    h.scheduler.offer(64); // a decode is running: waits
    h.scheduler.offer(96); // replaces 64
    await h.finish(); // took 100 ms; t = 100
    h.advance(500); // t = 600: 100 spent + 100 expected > 60
    h.scheduler.offer(128);
    expect(h.decoded).toEqual([32]);
    h.advance(1400); // t = 2000: 200 ≤ 200
    h.scheduler.offer(160);
    expect(h.decoded).toEqual([32, 160]);
    expect(h.scheduler.superseded).toBe(3);
    await h.finish();
    expect(h.scheduler.spentMs).toBe(200);
  });

  it('prices the first decode with the expected cost when one is known', () => {
    const h = harness(100, 100);
    h.scheduler.offer(32);
    expect(h.decoded).toEqual([]);
    h.advance(1000);
    h.scheduler.offer(64);
    expect(h.decoded).toEqual([64]);
  });

  it('settle waits for the running decode and drops the waiting one', async () => {
    const h = harness(50);
    h.scheduler.offer(32);
    h.scheduler.offer(64);
    const settled = h.scheduler.settle();
    await h.finish();
    await settled;
    expect(h.decoded).toEqual([32]);
  });
});
