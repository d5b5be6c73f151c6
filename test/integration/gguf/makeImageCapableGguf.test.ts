// The image-alias transform on real GGUFs whose `output` tensor is F16, Q8_0, Q4_0, Q4_K or Q6_K
// (written by ggml's own quantizer through the addon), loaded by node-llama-cpp: feeding 4+c or
// 65536+c gives the same next-token distribution to the last bit; the alias output rows are
// exactly Anole's rows quantized by ggml; everything else is the source byte for byte.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type ControlledEvaluateInputItem, type Llama, type LlamaContextSequence, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALIASED_VOCAB_SIZE, IMAGE_ALIAS_FIRST_ID, IMAGE_CODEBOOK_SIZE, IMAGE_TOKEN_FIRST_ID, VOCAB_SIZE } from '../../../main/contract/chameleon.ts';
import { readGgufHeader } from '../../../main/engine/ggufHeader.ts';
import { ggmlQuantizer } from '../../../main/images/vqgan/nativeAddon.ts';
import { openImageHead } from '../../../main/models/gguf/imageHead.ts';
import { makeImageCapableGguf } from '../../../main/models/gguf/makeImageCapableGguf.ts';
import { writeChameleonGguf, type ChameleonGgufParams } from '../../fixtures/gguf/chameleonGguf.ts';
import { GGML_TYPE } from '../../fixtures/gguf/ggufWriter.ts';
import { toBf16Bytes, writeSafetensors } from '../../fixtures/gguf/safetensorsWriter.ts';
import { SeededRandom } from '../../fixtures/gguf/seededRandom.ts';

// 256 columns: the smallest row a K-quant (blocks of 256) can have
const PARAMS: ChameleonGgufParams = { embd: 256, layers: 1, heads: 2, headsKv: 2, ff: 512, contextLength: 256, weights: 'q8_0', seed: 11 };
const CASES = [
  ['F16', GGML_TYPE.F16],
  ['Q8_0', GGML_TYPE.Q8_0],
  ['Q4_0', GGML_TYPE.Q4_0],
  ['Q4_K', GGML_TYPE.Q4_K],
  ['Q6_K', GGML_TYPE.Q6_K],
] as const;
const CODES = [0, 1234, 8191];

let dir: string;
let llama: Llama;
let headFile: string;
let headValues: Float32Array;

function normals(n: number, seed: number, std: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n }, () => rng.normal(std));
}

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, position);
    return buf;
  } finally {
    await fh.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chameleon-alias-'));
  llama = await getLlama({ gpu: false, build: 'never' });
  // Anole's head as the range download stores it: 8192 rows of lm_head.weight in bf16
  const bf16 = toBf16Bytes(normals(IMAGE_CODEBOOK_SIZE * PARAMS.embd, 99, 0.05));
  headFile = join(dir, 'head.safetensors');
  writeSafetensors(headFile, [{ name: 'lm_head.weight', dtype: 'BF16', shape: [IMAGE_CODEBOOK_SIZE, PARAMS.embd], bytes: bf16 }]);
  const u16 = new Uint16Array(bf16.buffer);
  headValues = new Float32Array(new Uint32Array(Array.from(u16, (h) => h << 16)).buffer);
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The exact next-token distribution after `tokens`, over the whole vocabulary. */
async function distribution(sequence: LlamaContextSequence, tokens: number[]): Promise<Map<number, number>> {
  await sequence.clearHistory();
  const input: ControlledEvaluateInputItem[] = tokens.map((t) => t as Token);
  input[input.length - 1] = [tokens.at(-1)! as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: ALIASED_VOCAB_SIZE, topP: 1, minP: 0 } } }];
  const out = await sequence.controlledEvaluate(input);
  return out.at(-1)!.next.probabilities!;
}

describe('makeImageCapableGguf', () => {
  for (const [label, type] of CASES) {
    it(`${label} output: aliases carry the ggml-quantized head, and 4+c and 65536+c predict identically`, async () => {
      const source = join(dir, `src-${label}.gguf`);
      const target = join(dir, `aliased-${label}.gguf`);
      const outputBytes = await ggmlQuantizer.quantize(type, normals(VOCAB_SIZE * PARAMS.embd, 5, 0.02), VOCAB_SIZE, PARAMS.embd);
      writeChameleonGguf(source, PARAMS, { output: { type, data: outputBytes } });

      const head = await openImageHead(headFile);
      const progress: [number, number][] = [];
      const summary = await makeImageCapableGguf({ source, target, head, onProgress: (d, t) => progress.push([d, t]) });
      await head.close();
      expect(summary).toMatchObject({ imageAliases: true, vocabularySize: ALIASED_VOCAB_SIZE, path: target });
      expect(progress.at(-1)![0]).toBeLessThanOrEqual(statSync(target).size);
      expect(progress.at(-1)![1]).toBe(statSync(target).size);

      const [src, out] = await Promise.all([readGgufHeader(source, () => false), readGgufHeader(target, () => false)]);
      const tensor = (h: typeof src, name: string) => h.tensors.find((t) => t.name === name)!;
      expect(tensor(out, 'output.weight')).toMatchObject({ dimensions: [PARAMS.embd, ALIASED_VOCAB_SIZE], ggmlType: type });
      const rowBytes = ggmlQuantizer.rowSize(type, PARAMS.embd);
      const aliasRows = await readAt(target, tensor(out, 'output.weight').fileOffset + VOCAB_SIZE * rowBytes, IMAGE_CODEBOOK_SIZE * rowBytes);
      const quantizedHead = await ggmlQuantizer.quantize(type, headValues, IMAGE_CODEBOOK_SIZE, PARAMS.embd);
      expect(aliasRows.equals(Buffer.from(quantizedHead))).toBe(true);
      const keptRows = await readAt(target, tensor(out, 'output.weight').fileOffset, VOCAB_SIZE * rowBytes);
      expect(keptRows.equals(Buffer.from(outputBytes))).toBe(true);
      // token_embd's alias rows are rows 4..8195, byte for byte; other tensors are unchanged
      const embRow = ggmlQuantizer.rowSize(GGML_TYPE.Q8_0, PARAMS.embd);
      const srcEmb = tensor(src, 'token_embd.weight').fileOffset;
      const outEmb = tensor(out, 'token_embd.weight').fileOffset;
      expect((await readAt(target, outEmb + VOCAB_SIZE * embRow, IMAGE_CODEBOOK_SIZE * embRow)).equals(await readAt(source, srcEmb + IMAGE_TOKEN_FIRST_ID * embRow, IMAGE_CODEBOOK_SIZE * embRow))).toBe(true);
      const ffn = (h: typeof src) => tensor(h, 'blk.0.ffn_down.weight').fileOffset;
      expect((await readAt(target, ffn(out), 4096)).equals(await readAt(source, ffn(src), 4096))).toBe(true);

      const model = await llama.loadModel({ modelPath: target, gpuLayers: 0 });
      try {
        expect(model.trainContextSize).toBe(PARAMS.contextLength);
        const context = await model.createContext({ contextSize: 64, threads: 1 });
        const sequence = context.getSequence();
        for (const c of CODES) {
          const original = await distribution(sequence, [0, IMAGE_TOKEN_FIRST_ID + c]);
          const aliased = await distribution(sequence, [0, IMAGE_ALIAS_FIRST_ID + c]);
          expect(aliased.size).toBe(original.size);
          let maxDelta = 0;
          for (const [token, p] of original) {
            const q = aliased.get(token) ?? -1;
            // masked tokens have p = 0 in both (log 0 − log 0 would be NaN)
            maxDelta = Math.max(maxDelta, p === q ? 0 : Math.abs(Math.log(p) - Math.log(q)));
          }
          expect(maxDelta, `code ${c}`).toBe(0);
          // the aliases are live (never masked), the originals masked by llama.cpp's graph
          expect(original.get(IMAGE_ALIAS_FIRST_ID + c) ?? 0).toBeGreaterThan(0);
          expect(original.get(IMAGE_TOKEN_FIRST_ID + c) ?? 0).toBe(0);
        }
        await context.dispose();
      } finally {
        await model.dispose();
      }
      rmSync(source);
      rmSync(target);
    });
  }
});
