// Image → VQ-GAN input, following Meta's reference (`image_tokenizer.py`, see the fixtures' README
// §4): decode with sharp, whiten transparency with the reference's float64 expression, resize the
// shortest side to the model resolution (round-half-to-even sizes, Pillow-compatible Lanczos),
// centre crop, normalise through a float64-built table to float32 NCHW.
//
// Deliberate deviation: EXIF orientation is applied (a phone photo should be upright; the
// reference ignores EXIF). Animated images use their first frame, as Pillow does.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { OutputInfo } from 'sharp';
import { AppError } from '../contract/errors.ts';
import { resizeLanczosPillow } from './pillowLanczos.ts';

/**
 * Decoding refuses more pixels than this (about 8 700 × 5 800; a 48 MP phone photo fits) before
 * allocating them: each pixel costs ~7 bytes while we hold the RGBA decode and its RGB copy.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export type Resampler = 'pillow' | 'sharp';

export interface PreprocessOptions {
  /** model input size T (square) */
  resolution: number;
  /** the image already is T×T: only normalisation (separates model maths from resampling) */
  preprocessed?: boolean;
  /** 'pillow' (default): our Pillow-exact Lanczos; 'sharp': libvips lanczos3, for comparison */
  resampler?: Resampler;
  maxPixels?: number;
}

export interface RgbImage {
  width: number;
  height: number;
  /** HWC, RGB, uint8 */
  data: Uint8Array;
}

export interface PreprocessResult {
  /** 1×3×T×T float32 in [-1, 1] */
  pixels: Float32Array;
  /** the T×T RGB image the pixels were made from */
  rgb: RgbImage;
  /** size of the decoded (oriented) source */
  source: { width: number; height: number };
}

/** x = float32((u / 255.0) * 2 - 1), computed in float64 as the reference does. */
const NORMALISE = Float32Array.from({ length: 256 }, (_, u) => (u / 255.0) * 2 - 1);

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Size after scaling the shortest side to `t`, as the reference computes it. */
export function targetSize(width: number, height: number, t: number): { width: number; height: number } {
  const scale = t / Math.min(width, height);
  return { width: roundHalfEven(scale * width), height: roundHalfEven(scale * height) };
}

function classify(err: unknown): AppError {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return new AppError('image.tooLarge', 'The image has too many pixels to process.', undefined, { cause: err });
  if (/unsupported image format|bad seek|not a known file format/i.test(message)) {
    return new AppError('image.unsupported', 'This file is not an image format we can read.', undefined, { cause: err });
  }
  return new AppError('image.corrupt', `The image could not be decoded: ${message}`, undefined, { cause: err });
}

async function loadInput(input: string | Uint8Array): Promise<Uint8Array> {
  if (typeof input !== 'string') return input;
  try {
    return await readFile(input);
  } catch (err) {
    throw new AppError('image.inputUnavailable', `Cannot read the image ${input}: ${(err as Error).message}`, { file: input }, { cause: err });
  }
}

/**
 * Decode to RGB with the reference's transparency rule: no alpha below 255 → plain RGB; otherwise
 * each channel becomes trunc((1 - a)·255 + a·c), a = alpha/255, in float64 and in that order
 * (float32 or integer maths differs on hundreds of values).
 */
export async function decodeWhitened(input: string | Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  const bytes = await loadInput(input);
  if (bytes.length === 0) throw new AppError('image.empty', 'The image file is empty.');
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // srgb gives 3 channels, or 4 when the source has alpha (grey, palette and CMYK included).
    // ignoreIcc: Pillow (the reference) ignores an embedded profile, sharp would convert with it;
    // a phone photo's Display P3 profile moved a 640x427 JPEG a mean of 5-11 levels and most codes.
    raw = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, ignoreIcc: true })
      .autoOrient()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw classify(err);
  }
  const { width, height, channels } = raw.info;
  if (width === 0 || height === 0) throw new AppError('image.empty', 'The image has no pixels.');
  const src = raw.data;
  if (channels === 3) return { width, height, data: new Uint8Array(src.buffer, src.byteOffset, src.length) };
  if (channels !== 4) throw new AppError('image.unsupported', `Unexpected decoded channel count ${channels}.`);
  const n = width * height;
  const out = new Uint8Array(n * 3);
  let transparent = false;
  for (let i = 0; i < n && !transparent; i++) transparent = src[i * 4 + 3]! < 255;
  for (let i = 0; i < n; i++) {
    if (!transparent) {
      out[i * 3] = src[i * 4]!;
      out[i * 3 + 1] = src[i * 4 + 1]!;
      out[i * 3 + 2] = src[i * 4 + 2]!;
      continue;
    }
    const a = src[i * 4 + 3]! / 255.0;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.trunc((1 - a) * 255 + a * src[i * 4 + c]!);
  }
  return { width, height, data: out };
}

/** Resize the shortest side to `t` and centre-crop to t×t. */
export async function resizeAndCrop(img: RgbImage, t: number, resampler: Resampler = 'pillow'): Promise<RgbImage> {
  const size = targetSize(img.width, img.height, t);
  if (size.width < t || size.height < t) throw new AppError('image.unsupported', 'The image is too small to resize.');
  let resized: Uint8Array;
  if (resampler === 'pillow') {
    resized = resizeLanczosPillow(img.data, img.width, img.height, 3, size.width, size.height);
  } else if (size.width === img.width && size.height === img.height) {
    resized = img.data;
  } else {
    resized = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(size.width, size.height, { kernel: 'lanczos3', fit: 'fill' })
      .raw()
      .toBuffer();
  }
  const x0 = Math.floor((size.width - t) / 2);
  const y0 = Math.floor((size.height - t) / 2);
  const out = new Uint8Array(t * t * 3);
  for (let y = 0; y < t; y++) {
    const from = ((y + y0) * size.width + x0) * 3;
    out.set(resized.subarray(from, from + t * 3), y * t * 3);
  }
  return { width: t, height: t, data: out };
}

/** HWC uint8 RGB → 1×3×H×W float32 through the float64-built table. */
export function normalizeToNchw(img: RgbImage): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i] = NORMALISE[img.data[i * 3]!]!;
    out[plane + i] = NORMALISE[img.data[i * 3 + 1]!]!;
    out[2 * plane + i] = NORMALISE[img.data[i * 3 + 2]!]!;
  }
  return out;
}

/** The whole reference preprocessing, or only normalisation with `preprocessed`. */
export async function preprocessImage(input: string | Uint8Array, opts: PreprocessOptions): Promise<PreprocessResult> {
  const t = opts.resolution;
  const decoded = await decodeWhitened(input, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
  let rgb: RgbImage;
  if (opts.preprocessed) {
    if (decoded.width !== t || decoded.height !== t) {
      throw new AppError('image.unsupported', `A preprocessed image must be ${t}×${t}; this one is ${decoded.width}×${decoded.height}.`, { width: decoded.width, height: decoded.height, expected: t });
    }
    rgb = decoded;
  } else {
    rgb = await resizeAndCrop(decoded, t, opts.resampler ?? 'pillow');
  }
  return { pixels: normalizeToNchw(rgb), rgb, source: { width: decoded.width, height: decoded.height } };
}
