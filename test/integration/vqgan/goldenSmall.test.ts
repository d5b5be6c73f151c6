// The native VQ-GAN against Meta's reference on the two small configs (with and without extra
// attention): every intermediate tensor, the codes and the decoded image (README tolerances).
// One graph thread: vitest runs test files in parallel forks on a 2-core CI box, and ggml's spinning
// thread barriers degrade badly when oversubscribed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeVqgan, type NativeVqgan } from '../../../main/images/vqgan/nativeAddon.ts';
import { fixture, loadConfig, maxAbsDiff, pngPixels, readF32, readI32, toU8 } from './goldenFixtures.ts';
import { expectCodesMatch, expectReconWithinOneLevel } from './goldenAssertions.ts';

const IMAGES = ['gradient', 'alpha', 'photo', 'direct'] as const;

for (const variant of ['small_noattn', 'small_attn'] as const) {
  describe(`golden ${variant}`, () => {
    let model: NativeVqgan;
    beforeAll(async () => {
      const { arch, tensors } = await loadConfig(variant);
      model = await loadNativeVqgan(arch, tensors, { backend: 'cpu', threads: 1 });
    });
    afterAll(() => model?.dispose());

    for (const img of IMAGES) {
      it(`${img}: encoder output, pre-quant latent and codes match the reference`, async () => {
        const input = readF32(fixture('small', 'preproc', `${img}.input.f32`));
        const out = await model.encode(input, { debug: true });
        expect(out.grid).toEqual([4, 4]);
        expect(maxAbsDiff(out.encOut!, readF32(fixture('small', variant, `${img}.enc_out.f32`)))).toBeLessThan(1e-4);
        expect(maxAbsDiff(out.prequant!, readF32(fixture('small', variant, `${img}.prequant.f32`)))).toBeLessThan(1e-4);
        expectCodesMatch(out.codes, readI32(fixture('small', variant, `${img}.codes.i32`)), readF32(fixture('small', variant, `${img}.code_margin.f32`)));
      });

      it(`${img}: decoder input, decoder output and recon image match the reference`, async () => {
        const codes = readI32(fixture('small', variant, `${img}.codes.i32`));
        const out = await model.decode(codes, { debug: true });
        expect(maxAbsDiff(out.postQuant!, readF32(fixture('small', variant, `${img}.post_quant.f32`)))).toBeLessThan(1e-4);
        expect(maxAbsDiff(out.pixels, readF32(fixture('small', variant, `${img}.dec_out.f32`)))).toBeLessThan(2e-4);
        expectReconWithinOneLevel(toU8(out.pixels, 64), await pngPixels(fixture('small', variant, `${img}.recon.png`)));
      });
    }
  });
}
