// Classifier-free guidance and sampling over the 8192 image codes, in our own code: node-llama-cpp
// 3.21.1 has no raw-logit access, so each stream's exact image-range distribution comes back as
// probabilities (chameleon.md §6.4) and everything after that — the reference's log-space mix,
// temperature, top-p and the draw — happens here, seeded, so the same seed gives the same image.
import { IMAGE_CODEBOOK_SIZE } from '../contract/chameleon.ts';

/** The reference's guidance scales (chameleon.md §2.2, `Options`): text 3.0, image 1.2. */
export const DEFAULT_GUIDANCE = { text: 3.0, image: 1.2 } as const;

export interface GuidanceScales {
  text: number;
  image: number;
}

/**
 * Floor for log p: float32 probabilities of 0 mean "more than ~87 nats below the top", and −∞ would
 * turn the mix's differences into NaN.
 */
export const LOG_FLOOR = Math.log(1e-38);

export function logOf(p: number): number {
  return p > 0 ? Math.max(Math.log(p), LOG_FLOOR) : LOG_FLOOR;
}

/**
 * The reference mix (InBatchInstructCFGLogitsProcessor): L_u + s_img·(L_i − L_u) + s_txt·(L_f − L_i)
 * over log-probabilities; each stream's normaliser cancels, so log p stands in for the logits.
 * `image` may be the same array as `uncond` (a prompt without images: the two streams are equal).
 */
export function mixGuidance(full: Float64Array, image: Float64Array, uncond: Float64Array, scales: GuidanceScales, out = new Float64Array(full.length)): Float64Array {
  for (let i = 0; i < full.length; i++) {
    const u = uncond[i]!;
    const im = image[i]!;
    out[i] = u + scales.image * (im - u) + scales.text * (full[i]! - im);
  }
  return out;
}

/** Deterministic 32-bit generator (mulberry32): small, fast, and the same on every platform. */
export class SeededRng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * Temperature, then top-p (HF semantics: the smallest set of most likely tokens whose mass reaches
 * p, the top one always kept), then one draw. Temperature 0 is greedy. Returns the index.
 */
export function sampleLogits(logits: Float64Array, temperature: number, topP: number, rng: SeededRng): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature <= 0) return best;
  const top = logits[best]!;
  const weights = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const w = Math.exp((logits[i]! - top) / temperature);
    weights[i] = w;
    sum += w;
  }
  // Top-p without sorting indices: a native numeric sort of the weights finds the smallest weight
  // still inside the nucleus; every code at least that likely is kept (ties at the edge included).
  let cutoff = 0;
  if (topP < 1) {
    const sorted = Float64Array.from(weights).sort().reverse();
    let mass = 0;
    for (let k = 0; k < sorted.length; k++) {
      mass += sorted[k]!;
      cutoff = sorted[k]!;
      if (mass >= topP * sum) break;
    }
    sum = 0;
    for (let i = 0; i < weights.length; i++) if (weights[i]! >= cutoff) sum += weights[i]!;
  }
  let r = rng.next() * sum;
  let last = best;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w < cutoff) continue;
    last = i;
    r -= w;
    if (r < 0) return i;
  }
  return last;
}

/** One stream's probabilities map (alias id → p) as log p per code, every code present. */
export function codeLogProbs(probabilities: ReadonlyMap<number, number>, firstAliasId: number, out = new Float64Array(IMAGE_CODEBOOK_SIZE)): Float64Array {
  out.fill(LOG_FLOOR);
  for (const [id, p] of probabilities) {
    const code = id - firstAliasId;
    if (code >= 0 && code < IMAGE_CODEBOOK_SIZE) out[code] = logOf(p);
  }
  return out;
}

/**
 * The codes a partial image is decoded with: the missing ones padded with the first code, as the
 * reference viewer does for its previews (chameleon.md §6.4).
 */
export function padCodes(codes: readonly number[], total: number): Int32Array {
  const out = new Int32Array(total);
  out.set(codes.slice(0, total));
  out.fill(codes[0] ?? 0, Math.min(codes.length, total));
  return out;
}
