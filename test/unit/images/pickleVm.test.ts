// The restricted unpickler is a security boundary: hostile pickles end in a coded error, in time
// linear in their size, never in a RangeError from the engine.
import { describe, expect, it } from 'vitest';
import { unpickle } from '../../../main/images/vqgan/weights/pickleVm.ts';
import { AppError } from '../../../main/contract/errors.ts';

const PROTO2 = [0x80, 0x02];
const STOP = 0x2e;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    return e instanceof AppError ? e.code : `uncoded ${String(e)}`;
  }
  return undefined;
}

describe('unpickle', () => {
  it('APPENDS of 300 000 items builds the list (no argument spread; issue 10.8)', () => {
    const n = 300_000;
    const bytes = new Uint8Array(2 + 2 + 2 * n + 2);
    bytes.set([...PROTO2, 0x5d, 0x28]);
    for (let i = 0; i < n; i++) bytes.set([0x4b, i & 0xff], 4 + 2 * i);
    bytes.set([0x65, STOP], 4 + 2 * n);
    const list = unpickle(bytes) as number[];
    expect(list).toHaveLength(n);
    expect(list[257]).toBe(1);
  });

  it('refuses an integer longer than 8 bytes (LONG4 would take quadratic time)', () => {
    const len = 4096;
    const bytes = new Uint8Array(2 + 5 + len + 1);
    bytes.set([...PROTO2, 0x8b, len & 0xff, len >> 8, 0, 0]);
    bytes.fill(0x7f, 7, 7 + len);
    bytes[7 + len] = STOP;
    expect(codeOf(() => unpickle(bytes))).toBe('vqgan.weightsInvalid');
    // Up to 8 bytes is an ordinary integer.
    expect(unpickle(new Uint8Array([...PROTO2, 0x8a, 2, 0x34, 0x12, STOP]))).toBe(0x1234);
  });
});
