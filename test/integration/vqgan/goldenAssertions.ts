// Shared golden-fixture assertions (README §6 tolerances).
import { expect } from 'vitest';

/** Codes must be identical wherever the reference's distance margin is ≥ 1e-3 (near-ties may flip). */
export function expectCodesMatch(actual: Int32Array, expected: Int32Array, margins: Float32Array): { tolerated: number } {
  expect(actual.length).toBe(expected.length);
  const bad: number[] = [];
  let tolerated = 0;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] === expected[i]) continue;
    if (margins[i]! >= 1e-3) bad.push(i);
    else tolerated++;
  }
  expect(bad, `positions with margin ≥ 1e-3 whose code differs`).toEqual([]);
  return { tolerated };
}

/** Decoded image within ±1 level of the reference for at least 99.9 % of values. */
export function expectReconWithinOneLevel(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let off = 0;
  for (let i = 0; i < expected.length; i++) if (Math.abs(actual[i]! - expected[i]!) > 1) off++;
  expect(off / expected.length).toBeLessThanOrEqual(0.001);
}
