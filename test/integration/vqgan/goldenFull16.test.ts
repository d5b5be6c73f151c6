// The native VQ-GAN against Meta's reference on the real Chameleon architecture (68.7 M parameters,
// F16-stored weights with subnormals). The slow one: two encodes and two decodes of 512² images.
// Input: the reference's `resized` PNG, normalised exactly as the reference does.
// One graph thread: vitest runs test files in parallel forks on a 2-core CI box, and ggml's spinning
// thread barriers degrade badly when oversubscribed.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadNativeVqgan, type NativeVqgan } from '../../../main/images/vqgan/nativeAddon.ts';
import { fixture, loadConfig, pngPixels, pngToInput, readF32, readI32, toU8 } from './goldenFixtures.ts';
import { expectCodesMatch, expectReconWithinOneLevel } from './goldenAssertions.ts';

describe('golden full16 (real architecture)', () => {
  let model: NativeVqgan;
  beforeAll(async () => {
    const { arch, tensors } = await loadConfig('full16');
    model = await loadNativeVqgan(arch, tensors, { backend: 'cpu', threads: 1 });
  });
  afterAll(() => model?.dispose());

  for (const img of ['alpha', 'photo'] as const) {
    it(`${img}: codes match the reference, decoded image within ±1`, { timeout: 300_000 }, async () => {
      const enc = await model.encode(await pngToInput(fixture('full16', `${img}.resized.png`)));
      const expected = readI32(fixture('full16', `${img}.codes.i32`));
      const { tolerated } = expectCodesMatch(enc.codes, expected, readF32(fixture('full16', `${img}.code_margin.f32`)));
      console.log(`full16 ${img}: encode ${enc.ms.encode.toFixed(0)} ms, quantize ${enc.ms.quantize.toFixed(0)} ms, near-tie flips ${tolerated}`);
      const dec = await model.decode(expected);
      console.log(`full16 ${img}: decode ${dec.ms.decode.toFixed(0)} ms`);
      expectReconWithinOneLevel(toU8(dec.pixels, 512), await pngPixels(fixture('full16', `${img}.recon.png`)));
    });
  }
});
