// The native VQ-GAN against Meta's reference on the narrow config: the real 512-px input and
// 32×32 = 1024-code grid with 8192 codes, at a quarter of the width.
// One graph thread: vitest runs test files in parallel forks on a 2-core CI box, and ggml's spinning
// thread barriers degrade badly when oversubscribed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeVqgan, type NativeVqgan } from '../../../main/images/vqgan/nativeAddon.ts';
import { fixture, loadConfig, maxAbsDiff, pngPixels, readF32, readI32, toU8 } from './goldenFixtures.ts';
import { expectCodesMatch, expectReconWithinOneLevel } from './goldenAssertions.ts';

describe('golden narrow (512 px, 1024 codes)', () => {
  let model: NativeVqgan;
  beforeAll(async () => {
    const { arch, tensors } = await loadConfig('narrow');
    model = await loadNativeVqgan(arch, tensors, { backend: 'cpu', threads: 1 });
  });
  afterAll(() => model?.dispose());

  for (const img of ['gradient', 'alpha', 'photo'] as const) {
    it(`${img}: pre-quant latent and codes match, decoded image within ±1`, async () => {
      const enc = await model.encode(readF32(fixture('narrow', `${img}.input.f32`)), { debug: true });
      expect(enc.grid).toEqual([32, 32]);
      expect(maxAbsDiff(enc.prequant!, readF32(fixture('narrow', `${img}.prequant.f32`)))).toBeLessThan(1e-4);
      const expected = readI32(fixture('narrow', `${img}.codes.i32`));
      expectCodesMatch(enc.codes, expected, readF32(fixture('narrow', `${img}.code_margin.f32`)));
      const dec = await model.decode(expected);
      expectReconWithinOneLevel(toU8(dec.pixels, 512), await pngPixels(fixture('narrow', `${img}.recon.png`)));
    });
  }
});
