// Anole's image head from each file a user can have: the HF shard (all 65 536 rows of
// lm_head.weight among other tensors), Meta's consolidated.pth (output.weight in a PyTorch zip),
// and the 8192-row safetensors the range download writes; each gives rows 4..8195 as f32.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_CODEBOOK_SIZE, IMAGE_TOKEN_FIRST_ID, VOCAB_SIZE } from '../../../main/contract/chameleon.ts';
import { ggmlQuantizer } from '../../../main/images/vqgan/nativeAddon.ts';
import { openImageHead } from '../../../main/models/gguf/imageHead.ts';
import { GGML_TYPE } from '../../fixtures/gguf/ggufWriter.ts';
import { toBf16Bytes, writeSafetensors } from '../../fixtures/gguf/safetensorsWriter.ts';
import { SeededRandom } from '../../fixtures/gguf/seededRandom.ts';
import { torchCheckpointBytes } from '../../unit/images/torchZipWriter.ts';

const COLUMNS = 8;
let dir: string;
/** lm_head values of every vocabulary row, exactly representable in bf16 and in f16 (bf16-rounded, away from f16's subnormals) */
let full: Float32Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chameleon-head-'));
  const rng = new SeededRandom(21);
  const raw = Float32Array.from({ length: VOCAB_SIZE * COLUMNS }, () => {
    const v = rng.normal(0.05);
    return v + Math.sign(v) * 1e-3;
  });
  full = await ggmlQuantizer.dequantize(GGML_TYPE.BF16, await ggmlQuantizer.quantize(GGML_TYPE.BF16, raw, VOCAB_SIZE, COLUMNS), raw.length);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectedRows(first: number, count: number): Float32Array {
  return full.slice((IMAGE_TOKEN_FIRST_ID + first) * COLUMNS, (IMAGE_TOKEN_FIRST_ID + first + count) * COLUMNS);
}

async function f16Bytes(values: Float32Array): Promise<Uint8Array> {
  return ggmlQuantizer.quantize(GGML_TYPE.F16, values, values.length / COLUMNS, COLUMNS);
}

describe('openImageHead', () => {
  it('reads rows 4..8195 of lm_head.weight from an HF shard that holds other tensors too (bf16)', async () => {
    const file = join(dir, 'model-00003-of-00003.safetensors');
    writeSafetensors(file, [
      { name: 'model.norm.weight', dtype: 'F32', shape: [COLUMNS], bytes: new Uint8Array(COLUMNS * 4) },
      { name: 'lm_head.weight', dtype: 'BF16', shape: [VOCAB_SIZE, COLUMNS], bytes: toBf16Bytes(full) },
    ]);
    const head = await openImageHead(file);
    expect(head).toMatchObject({ columns: COLUMNS, dtype: 'bf16' });
    expect(await head.readRows(0, 3)).toEqual(expectedRows(0, 3));
    expect(await head.readRows(IMAGE_CODEBOOK_SIZE - 2, 2)).toEqual(expectedRows(IMAGE_CODEBOOK_SIZE - 2, 2));
    await expect(head.readRows(IMAGE_CODEBOOK_SIZE - 1, 2)).rejects.toMatchObject({ code: 'internal' });
    await head.close();
  });

  it("reads output.weight from Meta's consolidated.pth (a PyTorch zip, f16)", async () => {
    const file = join(dir, 'consolidated.pth');
    const bytes = await f16Bytes(full);
    const embeddings = await f16Bytes(new Float32Array(VOCAB_SIZE * COLUMNS));
    writeFileSync(file, torchCheckpointBytes([
      { name: 'tok_embeddings.weight', storage: 'HalfStorage', bytes: embeddings, numel: VOCAB_SIZE * COLUMNS, offset: 0, shape: [VOCAB_SIZE, COLUMNS], stride: [COLUMNS, 1] },
      { name: 'output.weight', storage: 'HalfStorage', bytes, numel: VOCAB_SIZE * COLUMNS, offset: 0, shape: [VOCAB_SIZE, COLUMNS], stride: [COLUMNS, 1] },
    ]));
    const head = await openImageHead(file);
    expect(head).toMatchObject({ columns: COLUMNS, dtype: 'f16' });
    expect(await head.readRows(100, 5)).toEqual(expectedRows(100, 5));
    await head.close();
  });

  it('reads the 8192-row head the range download writes (f32)', async () => {
    const file = join(dir, 'anole-image-head.safetensors');
    const rows = expectedRows(0, IMAGE_CODEBOOK_SIZE);
    writeSafetensors(file, [{ name: 'lm_head.weight', dtype: 'F32', shape: [IMAGE_CODEBOOK_SIZE, COLUMNS], bytes: new Uint8Array(rows.buffer) }], { rows: '4-8196' });
    const head = await openImageHead(file);
    expect(await head.readRows(4000, 2)).toEqual(expectedRows(4000, 2));
    await head.close();
  });

  it('refuses files without a head, heads of the wrong shape, and files that are no weights at all', async () => {
    const noHead = join(dir, 'model-00001-of-00003.safetensors');
    writeSafetensors(noHead, [{ name: 'model.embed_tokens.weight', dtype: 'F32', shape: [4, COLUMNS], bytes: new Uint8Array(4 * COLUMNS * 4) }]);
    await expect(openImageHead(noHead)).rejects.toMatchObject({ code: 'models.badWeights', message: expect.stringContaining('lm_head.weight') });
    const short = join(dir, 'short.safetensors');
    writeSafetensors(short, [{ name: 'lm_head.weight', dtype: 'F32', shape: [100, COLUMNS], bytes: new Uint8Array(100 * COLUMNS * 4) }]);
    await expect(openImageHead(short)).rejects.toMatchObject({ code: 'models.badWeights' });
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not weights at all, just some words');
    await expect(openImageHead(text)).rejects.toMatchObject({ code: 'models.badWeights' });
    await expect(openImageHead(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'models.badWeights' });
  });
});
