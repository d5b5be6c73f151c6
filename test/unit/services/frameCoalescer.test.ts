// Deltas are sent at most once per frame: driven with fake timers, so nothing here depends on
// how fast the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_MS, FrameCoalescer } from '../../../main/services/frameCoalescer.ts';

describe('FrameCoalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('joins the deltas of one frame into one fragment, in order', () => {
    const sent: string[] = [];
    const c = new FrameCoalescer((t) => sent.push(t));
    for (const d of ['Hel', 'lo', ', ', 'wor']) c.push(d);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(FRAME_MS);
    expect(sent).toEqual(['Hello, wor']);
    c.push('ld');
    c.push('');
    vi.advanceTimersByTime(FRAME_MS);
    expect(sent).toEqual(['Hello, wor', 'ld']);
    vi.advanceTimersByTime(10 * FRAME_MS);
    expect(sent).toHaveLength(2);
  });

  it('sends 1000 token deltas as one fragment per frame, and flush() sends the rest at once', () => {
    const sent: string[] = [];
    const c = new FrameCoalescer((t) => sent.push(t), 16);
    for (let i = 0; i < 1000; i++) {
      c.push(`t${i} `);
      if (i % 10 === 9) vi.advanceTimersByTime(4); // ten tokens every 4 ms, 2500 tokens/s
    }
    c.flush();
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(400 / 16) + 1);
    expect(sent.join('')).toBe(Array.from({ length: 1000 }, (_, i) => `t${i} `).join(''));
    c.flush();
    expect(sent.join('').length).toBe(Array.from({ length: 1000 }, (_, i) => `t${i} `).join('').length);
  });
});
