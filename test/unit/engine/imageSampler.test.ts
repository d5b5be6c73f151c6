// The guidance mix and the sampler over image codes (main/engine/imageSampler.ts), against the
// reference's definitions computed independently here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codeLogProbs, DEFAULT_GUIDANCE, LOG_FLOOR, mixGuidance, padCodes, sampleLogits, SeededRng } from '../../../main/engine/imageSampler.ts';

function logSoftmax(logits: number[]): Float64Array {
  const max = Math.max(...logits);
  const z = Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)) + max;
  return Float64Array.from(logits, (l) => l - z);
}

function softmax(x: Float64Array): number[] {
  const max = Math.max(...x);
  const e = [...x].map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const logitsArb = fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 2, maxLength: 40 });

describe('classifier-free guidance mix', () => {
  it('scale 1 (text) with the image stream as base gives the conditional distribution', () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: -5, max: 5, noNaN: true }), (raw, shift) => {
        const full = logSoftmax(raw);
        const other = logSoftmax(raw.map((v, i) => v * 0.3 + i * shift));
        // s_txt = 1, s_img = 1: L_u + (L_i − L_u) + (L_f − L_i) = L_f.
        const mixed = mixGuidance(full, other, logSoftmax(raw.map((v) => -v)), { text: 1, image: 1 });
        const p = softmax(mixed);
        const q = softmax(full);
        p.forEach((v, i) => expect(v).toBeCloseTo(q[i]!, 10));
      }),
    );
  });

  it('identical streams change nothing, at any scales', () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (raw, text, image) => {
        const l = logSoftmax(raw);
        const p = softmax(mixGuidance(l, l, l, { text, image }));
        const q = softmax(l);
        p.forEach((v, i) => expect(v).toBeCloseTo(q[i]!, 10));
      }),
    );
  });

  it('matches the reference formula on logits (the per-stream normaliser cancels)', () => {
    const f = [2.0, -1.0, 0.5, 3.0];
    const i = [1.0, 0.0, 0.25, -2.0];
    const u = [0.0, 1.0, -1.0, 0.5];
    const { text, image } = DEFAULT_GUIDANCE;
    // Reference: on raw logits, then softmax.
    const ref = softmax(Float64Array.from(f, (_, k) => u[k]! + image * (i[k]! - u[k]!) + text * (f[k]! - i[k]!)));
    const ours = softmax(mixGuidance(logSoftmax(f), logSoftmax(i), logSoftmax(u), DEFAULT_GUIDANCE));
    ours.forEach((v, k) => expect(v).toBeCloseTo(ref[k]!, 12));
    // Hand-computed for token 3: 0.5 + 1.2·(−2.5) + 3·5 = 12.5, the winner by far.
    expect(ref[3]).toBeGreaterThan(0.99);
  });

  it('a text-only prompt (image stream = unconditioned) reduces to L_u + s_txt·(L_f − L_u)', () => {
    const f = logSoftmax([1, 2, 3]);
    const u = logSoftmax([3, 2, 1]);
    const mixed = mixGuidance(f, u, u, { text: 3, image: 1.2 });
    const expected = softmax(Float64Array.from(f, (v, k) => u[k]! + 3 * (v - u[k]!)));
    softmax(mixed).forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 12));
  });
});

describe('image-code sampling', () => {
  it('temperature 0 is greedy; the same seed draws the same sequence, another seed another', () => {
    const logits = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    expect(sampleLogits(logits, 0, 0.9, new SeededRng(1))).toBe(33);
    const draw = (seed: number): number[] => {
      const rng = new SeededRng(seed);
      return Array.from({ length: 40 }, () => sampleLogits(logits, 1, 1, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('top-p keeps only the smallest most-likely set reaching p (the top token always)', () => {
    // p = [0.5, 0.3, 0.15, 0.05]: top-p 0.7 keeps the first two; 0.1 keeps only the first.
    const logits = Float64Array.from([0.5, 0.3, 0.15, 0.05], Math.log);
    const rng = new SeededRng(3);
    const seen = new Set(Array.from({ length: 400 }, () => sampleLogits(logits, 1, 0.7, rng)));
    expect([...seen].sort()).toEqual([0, 1]);
    expect(new Set(Array.from({ length: 100 }, () => sampleLogits(logits, 1, 0.1, rng)))).toEqual(new Set([0]));
  });

  it('draws with the distribution’s frequencies at temperature 1', () => {
    const p = [0.6, 0.3, 0.1];
    const rng = new SeededRng(11);
    const counts = [0, 0, 0];
    for (let k = 0; k < 20000; k++) counts[sampleLogits(Float64Array.from(p, Math.log), 1, 1, rng)]!++;
    counts.forEach((c, i) => expect(Math.abs(c / 20000 - p[i]!)).toBeLessThan(0.015));
  });

  it('maps alias probabilities to per-code log p, absent or zero codes at the floor', () => {
    const lp = codeLogProbs(new Map([[65536 + 2, 0.75], [65536 + 5, 0.25], [65536 + 7, 0], [9, 0.5]]), 65536, new Float64Array(8192));
    expect(lp[2]).toBeCloseTo(Math.log(0.75));
    expect(lp[5]).toBeCloseTo(Math.log(0.25));
    expect(lp[7]).toBe(LOG_FLOOR);
    expect(lp[0]).toBe(LOG_FLOOR);
  });

  it('pads a partial grid with its first code', () => {
    expect([...padCodes([5, 6, 7], 6)]).toEqual([5, 6, 7, 5, 5, 5]);
    expect([...padCodes([], 3)]).toEqual([0, 0, 0]);
  });
});
