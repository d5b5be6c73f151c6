// The addon's binding to ggml's quantizer: real ggml (node-llama-cpp's libggml-base), real types.
import { describe, expect, it } from 'vitest';
import { ggmlQuantizer } from '../../../main/images/vqgan/nativeAddon.ts';
import { GGML_TYPE } from '../../fixtures/gguf/ggufWriter.ts';
import { SeededRandom } from '../../fixtures/gguf/seededRandom.ts';

function randomValues(n: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n }, () => rng.normal(0.05));
}

describe('ggmlQuantizer', () => {
  it('knows the GGUF types and their block layout', () => {
    expect(ggmlQuantizer.typeInfo(GGML_TYPE.Q8_0)).toMatchObject({ name: 'q8_0', blockSize: 32, typeSize: 34, quantized: true, canQuantize: true });
    expect(ggmlQuantizer.typeInfo(GGML_TYPE.Q4_K)).toMatchObject({ name: 'q4_K', blockSize: 256, typeSize: 144 });
    expect(ggmlQuantizer.rowSize(GGML_TYPE.Q6_K, 4096)).toBe(16 * 210);
    expect(ggmlQuantizer.rowSize(GGML_TYPE.F16, 4096)).toBe(8192);
  });

  it('quantizes rows independently: a row quantized alone equals the same row quantized in a batch', async () => {
    const perRow = 256;
    const values = randomValues(4 * perRow, 3);
    for (const type of [GGML_TYPE.Q4_0, GGML_TYPE.Q8_0, GGML_TYPE.Q4_K, GGML_TYPE.Q6_K]) {
      const all = await ggmlQuantizer.quantize(type, values, 4, perRow);
      const rowBytes = ggmlQuantizer.rowSize(type, perRow);
      expect(all.length).toBe(4 * rowBytes);
      const third = await ggmlQuantizer.quantize(type, values.slice(2 * perRow, 3 * perRow), 1, perRow);
      expect(Buffer.from(third).equals(Buffer.from(all.subarray(2 * rowBytes, 3 * rowBytes))), `type ${type}`).toBe(true);
    }
  });

  it('reads back what it wrote within the type precision, and Q8_0 exactly as its definition says', async () => {
    const values = randomValues(512, 4);
    const f16 = await ggmlQuantizer.dequantize(GGML_TYPE.F16, await ggmlQuantizer.quantize(GGML_TYPE.F16, values, 2, 256), 512);
    for (let i = 0; i < 512; i++) expect(Math.abs(f16[i]! - values[i]!)).toBeLessThan(1e-4);
    const q8 = await ggmlQuantizer.quantize(GGML_TYPE.Q8_0, values, 2, 256);
    // Q8_0 block: f16 scale d = max|x| / 127, then round(x / d) as int8 (ggml's reference quantizer)
    const view = new DataView(q8.buffer, q8.byteOffset);
    const first = values.subarray(0, 32);
    const amax = Math.max(...Array.from(first, Math.abs));
    const d = amax / 127;
    for (let i = 0; i < 32; i++) expect(view.getInt8(2 + i)).toBe(Math.round(first[i]! / d));
    const back = await ggmlQuantizer.dequantize(GGML_TYPE.Q8_0, q8, 512);
    for (let i = 0; i < 512; i++) expect(Math.abs(back[i]! - values[i]!)).toBeLessThan(0.003);
    const q4k = await ggmlQuantizer.dequantize(GGML_TYPE.Q4_K, await ggmlQuantizer.quantize(GGML_TYPE.Q4_K, values, 2, 256), 512);
    const rms = Math.sqrt(q4k.reduce((a, v, i) => a + (v - values[i]!) ** 2, 0) / 512);
    expect(rms).toBeLessThan(0.01);
  });

  it('refuses types ggml would abort on, as coded errors', async () => {
    await expect(ggmlQuantizer.quantize(16 /* IQ2_XXS */, randomValues(256, 5), 1, 256)).rejects.toMatchObject({ code: 'models.quantizeUnsupported', message: expect.stringContaining('importance matrix') });
    await expect(ggmlQuantizer.quantize(9 /* Q8_1 */, randomValues(256, 5), 1, 256)).rejects.toMatchObject({ code: 'models.quantizeUnsupported' });
    await expect(ggmlQuantizer.quantize(999, randomValues(256, 5), 1, 256)).rejects.toMatchObject({ code: 'models.quantizeUnsupported' });
    await expect(ggmlQuantizer.quantize(GGML_TYPE.Q4_K, randomValues(64, 5), 1, 64)).rejects.toMatchObject({ code: 'models.quantizeUnsupported' });
    expect(() => ggmlQuantizer.typeInfo(4 /* removed Q4_2 */)).toThrow(expect.objectContaining({ code: 'models.quantizeUnsupported' }));
  });
});
