// Preprocessing against Meta's reference outputs: whitening, Pillow-exact Lanczos resize, crop and
// normalisation must reproduce the fixture bytes exactly; bad input gets coded errors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { resizeLanczosPillow } from '../../../main/images/pillowLanczos.ts';
import { decodeWhitened, normalizeToNchw, preprocessImage, resizeAndCrop, roundHalfEven, targetSize } from '../../../main/images/preprocess.ts';
import { FIXTURES } from './weightFiles.ts';

const INPUTS = [
  { name: 'gradient', file: 'gradient.png', width: 160, height: 160 },
  { name: 'alpha', file: 'alpha.png', width: 161, height: 128 },
  { name: 'photo', file: 'photo.jpg', width: 640, height: 480 },
];

const fx = (...p: string[]) => path.join(FIXTURES, ...p);

function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
}

describe('sizes', () => {
  it('rounds half to even like Python and keeps the short side at T', () => {
    expect([0.5, 1.5, 2.5, 80.5, 81.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 80, 82, 2, 3]);
    expect(targetSize(161, 128, 64)).toEqual({ width: 80, height: 64 }); // 80.5 → 80 (README §4.2)
    expect(targetSize(640, 480, 512)).toEqual({ width: 683, height: 512 });
    expect(targetSize(161, 128, 512)).toEqual({ width: 644, height: 512 });
  });
});

describe('reference preprocessing', () => {
  for (const img of INPUTS) {
    it(`${img.name}: whitening, resize and normalisation reproduce the fixture exactly`, async () => {
      const white = await decodeWhitened(fx('inputs', img.file));
      expect([white.width, white.height]).toEqual([img.width, img.height]);
      expect(differing(white.data, readFileSync(fx('inputs', `${img.name}.whitened.u8`)))).toBe(0);

      // T = 64 (small configs)
      const small = await resizeAndCrop(white, 64);
      expect(differing(small.data, readFileSync(fx('small', 'preproc', `${img.name}.resized.u8`)))).toBe(0);
      expect(differing(normalizeToNchw(small), f32(fx('small', 'preproc', `${img.name}.input.f32`)))).toBe(0);

      // T = 512, the whole pipeline from the file
      const full = await preprocessImage(fx('inputs', img.file), { resolution: 512 });
      const resizedRef = await sharp(fx('narrow', `${img.name}.resized.png`)).raw().toBuffer();
      expect(differing(full.rgb.data, resizedRef)).toBe(0);
      expect(differing(full.pixels, f32(fx('narrow', `${img.name}.input.f32`)))).toBe(0);
    });
  }

  it('--preprocessed applies only normalisation and insists on T×T', async () => {
    const out = await preprocessImage(fx('narrow', 'photo.resized.png'), { resolution: 512, preprocessed: true });
    expect(differing(out.pixels, f32(fx('narrow', 'photo.input.f32')))).toBe(0);
    expect(await code(preprocessImage(fx('inputs', 'photo.jpg'), { resolution: 512, preprocessed: true }))).toBe('image.unsupported');
  });

  it('a same-size resize is a copy, and a 1-D resize only runs one pass', () => {
    const src = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
    expect(resizeLanczosPillow(src, 5, 4, 3, 5, 4)).toEqual(src);
    const wide = resizeLanczosPillow(src, 5, 4, 3, 10, 4);
    expect(wide.length).toBe(10 * 4 * 3);
  });

  it('the sharp resampler is available for comparison and stays close to the reference', async () => {
    const white = await decodeWhitened(fx('inputs', 'gradient.png'));
    const viaSharp = await resizeAndCrop(white, 64, 'sharp');
    const ref = readFileSync(fx('small', 'preproc', 'gradient.resized.u8'));
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i]! - viaSharp.data[i]!));
    expect(max).toBeLessThanOrEqual(8);
  });
});

describe('decoding details', () => {
  it('applies EXIF orientation (a documented deviation from the reference)', async () => {
    // 30×20 landscape pixels tagged "rotate 90° clockwise" must come out 20×30
    const jpeg = await sharp({ create: { width: 30, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeWhitened(jpeg);
    expect([img.width, img.height]).toEqual([20, 30]);
  });

  it('uses the first frame of an animated image', async () => {
    const frame = (r: number, b: number) => sharp({ create: { width: 8, height: 6, channels: 3, background: { r, g: 0, b } } }).png().toBuffer();
    const gif = await sharp([await frame(255, 0), await frame(0, 255)], { join: { animated: true } }).gif().toBuffer();
    const img = await decodeWhitened(gif);
    expect([img.width, img.height]).toEqual([8, 6]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 0, 0]);
  });

  it('composites grey+alpha on white with the reference expression and turns grey into RGB', async () => {
    const raw = Buffer.from([0, 0, 255, 74, 128, 255, 10, 128]); // (grey, alpha) × 4
    const png = await sharp(raw, { raw: { width: 2, height: 2, channels: 2 } }).png().toBuffer();
    const img = await decodeWhitened(png);
    const expected: number[] = [];
    for (let i = 0; i < 4; i++) {
      const a = raw[i * 2 + 1]! / 255.0;
      const v = Math.trunc((1 - a) * 255 + a * raw[i * 2]!);
      expected.push(v, v, v);
    }
    expect(Array.from(img.data)).toEqual(expected);
    expect(expected.slice(3, 6)).toEqual([254, 254, 254]); // c = 255 at alpha 74: float64 error gives 254, as in Pillow
  });

  it('turns plain grey into RGB and reads palette images with transparency', async () => {
    const grey = await sharp(Buffer.from([0, 77, 200, 255]), { raw: { width: 4, height: 1, channels: 1 } }).png().toBuffer();
    expect(Array.from((await decodeWhitened(grey)).data)).toEqual([0, 0, 0, 77, 77, 77, 200, 200, 200, 255, 255, 255]);
    const rgba = Buffer.from([255, 0, 0, 255, 0, 0, 255, 0]); // opaque red, fully transparent blue
    const palette = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png({ palette: true }).toBuffer();
    expect(Array.from((await decodeWhitened(palette)).data)).toEqual([255, 0, 0, 255, 255, 255]);
  });

  it('refuses empty, non-image, corrupt, too large and unreadable input with coded errors', async () => {
    expect(await code(decodeWhitened(new Uint8Array(0)))).toBe('image.empty');
    expect(await code(decodeWhitened(Buffer.from('just some text, definitely not pixels')))).toBe('image.unsupported');
    const jpg = readFileSync(fx('inputs', 'photo.jpg'));
    expect(await code(decodeWhitened(jpg.subarray(0, 4000)))).toBe('image.corrupt');
    expect(await code(decodeWhitened(jpg, 640 * 480 - 1))).toBe('image.tooLarge');
    expect(await code(decodeWhitened(fx('inputs', 'no-such-file.png')))).toBe('image.inputUnavailable');
  });
});
