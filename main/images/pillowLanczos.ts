// Pillow-compatible Lanczos resampling on 8-bit interleaved pixels. The reference resizes with
// Pillow 9.4 (`Image.resize(..., LANCZOS)`), and libvips' lanczos3 is a different filter
// implementation, so a few codes change if we let sharp resize. This is our own implementation of
// the algorithm as documented in the fixtures' README §4.2: separable, horizontal pass first, a
// uint8 intermediate, coefficients normalised then rounded to 22-bit fixed point.

const PRECISION_BITS = 32 - 8 - 2;
const SUPPORT = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x >= -SUPPORT && x < SUPPORT ? sinc(x) * sinc(x / SUPPORT) : 0;
}

interface Coefficients {
  /** first input index per output pixel */
  start: Int32Array;
  /** taps per output pixel */
  count: Int32Array;
  /** fixed-point weights, `stride` per output pixel */
  weights: Int32Array;
  stride: number;
}

/** Per-output-pixel tap ranges and fixed-point weights for resizing `inSize` → `outSize`. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = SUPPORT * filterscale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const pre = new Float64Array(stride);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // C's (int) truncates toward zero
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) / filterscale);
      pre[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? pre[x]! / total : pre[x]!;
      // round half away from zero, as Pillow's normalize_coeffs_8bpc
      weights[i * stride + x] = w < 0 ? Math.trunc(-0.5 + w * one) : Math.trunc(0.5 + w * one);
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { start, count, weights, stride };
}

function clip8(acc: number): number {
  const v = Math.floor(acc / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontal(src: Uint8Array, w: number, h: number, channels: number, outW: number): Uint8Array {
  const { start, count, weights, stride } = coefficients(w, outW);
  const out = new Uint8Array(outW * h * channels);
  const half = 1 << (PRECISION_BITS - 1);
  const acc = new Float64Array(channels);
  for (let y = 0; y < h; y++) {
    const row = y * w * channels;
    for (let x = 0; x < outW; x++) {
      const first = row + start[x]! * channels;
      const n = count[x]!;
      const k = x * stride;
      const o = (y * outW + x) * channels;
      if (channels === 3) {
        // the common case, unrolled: one pass over the taps for all three channels
        let r = half;
        let g = half;
        let b = half;
        for (let t = 0, p = first; t < n; t++, p += 3) {
          const wt = weights[k + t]!;
          r += src[p]! * wt;
          g += src[p + 1]! * wt;
          b += src[p + 2]! * wt;
        }
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
        continue;
      }
      acc.fill(half);
      for (let t = 0, p = first; t < n; t++, p += channels) {
        const wt = weights[k + t]!;
        for (let c = 0; c < channels; c++) acc[c]! += src[p + c]! * wt;
      }
      for (let c = 0; c < channels; c++) out[o + c] = clip8(acc[c]!);
    }
  }
  return out;
}

function vertical(src: Uint8Array, w: number, h: number, channels: number, outH: number): Uint8Array {
  const { start, count, weights, stride } = coefficients(h, outH);
  const out = new Uint8Array(w * outH * channels);
  const half = 1 << (PRECISION_BITS - 1);
  const rowLen = w * channels;
  // accumulate whole rows (sequential memory); the sums are integers far below 2^53, so exact
  const acc = new Float64Array(rowLen);
  for (let y = 0; y < outH; y++) {
    const s = start[y]!;
    const n = count[y]!;
    const k = y * stride;
    acc.fill(half);
    for (let t = 0; t < n; t++) {
      const wt = weights[k + t]!;
      const from = (s + t) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i]! += src[from + i]! * wt;
    }
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]!);
  }
  return out;
}

/** Resize interleaved 8-bit pixels (HWC) exactly like Pillow 9.4's LANCZOS. Same size: a copy. */
export function resizeLanczosPillow(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number): Uint8Array {
  if (src.length !== w * h * channels) throw new RangeError(`expected ${w}×${h}×${channels} bytes, got ${src.length}`);
  let pixels = src;
  let width = w;
  if (outW !== w) {
    pixels = horizontal(pixels, w, h, channels, outW);
    width = outW;
  }
  if (outH !== h) pixels = vertical(pixels, width, h, channels, outH);
  return pixels === src ? src.slice() : pixels;
}
