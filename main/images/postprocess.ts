// Decoder output → PNG, exactly as the reference's `_pil_from_chw_tensor`: in float32, clamp to
// [-1, 1], +1, /2, ×255, then truncate to uint8 (not round).
import sharp from 'sharp';

/** 1×3×H×W float32 → HWC uint8 RGB, reproducing the reference's float32 rounding at each step. */
export function pixelsToRgb(pixels: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  if (pixels.length !== plane * 3) throw new RangeError(`expected 3×${height}×${width} values, got ${pixels.length}`);
  const out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const x = pixels[c * plane + i]!;
      const clamped = x < -1 ? -1 : x > 1 ? 1 : x; // NaN stays NaN and becomes 0 below
      const v = Math.fround(Math.fround(Math.fround(clamped + 1) / 2) * 255);
      out[i * 3 + c] = v > 0 ? Math.trunc(v) : 0;
    }
  }
  return out;
}

/** 1×3×H×W float32 decoder output → PNG bytes. */
export async function pixelsToPng(pixels: Float32Array, width: number, height: number): Promise<Buffer> {
  return sharp(pixelsToRgb(pixels, width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
}
