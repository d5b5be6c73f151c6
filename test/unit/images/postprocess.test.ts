// Postprocessing: the reference's decoder outputs (dec_out.f32) must become exactly its recon.png.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pixelsToPng, pixelsToRgb } from '../../../main/images/postprocess.ts';
import { FIXTURES } from './weightFiles.ts';

describe('postprocess', () => {
  for (const variant of ['small_attn', 'small_noattn']) {
    for (const name of ['gradient', 'alpha', 'photo', 'direct']) {
      it(`${variant}/${name}: dec_out → recon.png exactly (clamp, float32 steps, truncation)`, async () => {
        const raw = readFileSync(path.join(FIXTURES, 'small', variant, `${name}.dec_out.f32`));
        const pixels = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
        const png = await pixelsToPng(pixels, 64, 64);
        const ours = await sharp(png).raw().toBuffer();
        const ref = await sharp(path.join(FIXTURES, 'small', variant, `${name}.recon.png`)).raw().toBuffer();
        expect(ours.equals(ref)).toBe(true);
      });
    }
  }

  it('clamps out-of-range values and truncates rather than rounds', () => {
    const px = Float32Array.from([-3, -1, 0, 0.999, 1, 7, Number.NaN, 0.5, -0.5]);
    // three channels of a 3×1 image: R = [-3,-1,0], G = [0.999,1,7], B = [NaN,0.5,-0.5]
    expect(Array.from(pixelsToRgb(px, 3, 1))).toEqual([0, 254, 0, 0, 255, 191, 127, 255, 63]);
  });
});
