// The checkpoint converter on a tiny random HF-layout Chameleon written here: random weights are
// written once as a GGUF by our fixture writer (the reference), then turned into an HF checkpoint
// (two safetensors shards + index, config.json, tokenizer files) by the inverse of llama.cpp's
// permutations; converting it back must give the reference's tensors byte for byte, its
// vocabulary, and its logits in node-llama-cpp; llama.cpp's quantizer then makes a Q4_K_M that loads
// and answers.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaCompletion, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader } from '../../../main/engine/ggufHeader.ts';
import { quantizeGgufFile } from '../../../main/images/vqgan/nativeAddon.ts';
import { convertHfToGguf } from '../../../main/models/convert/convertHfToGguf.ts';
import { writeChameleonGguf, type ChameleonGgufParams } from '../../fixtures/gguf/chameleonGguf.ts';
import { bytesOf, elements, writeHfCheckpoint } from '../../fixtures/gguf/hfCheckpoint.ts';
import { toBf16Bytes } from '../../fixtures/gguf/safetensorsWriter.ts';

const P: ChameleonGgufParams = { embd: 64, layers: 2, heads: 4, headsKv: 4, ff: 128, contextLength: 4096, weights: 'f32', seed: 41 };
let dir: string;
let reference: string;
let checkpoint: string;
let llama: Llama;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chameleon-convert-'));
  reference = join(dir, 'reference.gguf');
  checkpoint = join(dir, 'chameleon-tiny-hf');
  writeChameleonGguf(reference, P, { randomNorms: 0.1 });
  await writeHfCheckpoint(reference, checkpoint, P);
  llama = await getLlama({ gpu: false, build: 'never' });
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function nextProbabilities(path: string, tokens: number[]): Promise<Map<number, number>> {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const context = await model.createContext({ contextSize: 64, threads: 1 });
    const out = await context.getSequence().controlledEvaluate([...tokens.slice(0, -1).map((t) => t as Token), [tokens.at(-1)! as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 65536, topP: 1, minP: 0 } } }]]);
    await context.dispose();
    return out.at(-1)!.next.probabilities!;
  } finally {
    await model.dispose();
  }
}

describe('convertHfToGguf', () => {
  it("writes the reference's tensors byte for byte, its vocabulary, and its logits", async () => {
    const target = join(dir, 'converted-f32.gguf');
    const progress: number[] = [];
    const summary = await convertHfToGguf({ dir: checkpoint, target, outType: 'f32', onProgress: (d) => progress.push(d) });
    expect(summary).toMatchObject({ architecture: 'chameleon', vocabularySize: 65536, layers: P.layers, embeddingLength: P.embd });
    expect(progress.at(-1)).toBeLessThanOrEqual(statSync(target).size);
    const keys = ['tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.unknown_token_id', 'tokenizer.ggml.seperator_token_id', 'tokenizer.ggml.padding_token_id', 'tokenizer.ggml.add_bos_token', 'chameleon.swin_norm', 'chameleon.context_length', 'chameleon.attention.head_count_kv'];
    const keep = (k: string) => keys.includes(k);
    const [ref, out] = await Promise.all([readGgufHeader(reference, keep), readGgufHeader(target, keep)]);
    for (const k of keys) expect(out.metadata.get(k), k).toEqual(ref.metadata.get(k));
    expect(out.tensors.map((t) => t.name).sort()).toEqual(ref.tensors.map((t) => t.name).sort());
    for (const t of ref.tensors) {
      const o = out.tensors.find((x) => x.name === t.name)!;
      expect({ dims: o.dimensions, type: o.ggmlType }, t.name).toEqual({ dims: t.dimensions, type: 0 });
      const n = elements(t.dimensions) * 4;
      expect((await bytesOf(target, out, t.name, n)).equals(await bytesOf(reference, ref, t.name, n)), t.name).toBe(true);
    }
    const prompt = [0, 16400, 16500, 17000];
    expect(await nextProbabilities(target, prompt)).toEqual(await nextProbabilities(reference, prompt));
  });

  it("guesses f16 for an f32 checkpoint as llama.cpp does, and llama.cpp's quantizer makes a Q4_K_M that loads and answers", async () => {
    const f16 = join(dir, 'converted-f16.gguf');
    await convertHfToGguf({ dir: checkpoint, target: f16 });
    const h = await readGgufHeader(f16, (k) => k === 'general.file_type');
    expect(h.metadata.get('general.file_type')).toBe(1);
    expect(h.tensors.find((t) => t.name === 'blk.0.attn_q.weight')?.ggmlType).toBe(1);
    expect(h.tensors.find((t) => t.name === 'blk.0.attn_q_norm.weight')?.ggmlType).toBe(0);
    const q4 = join(dir, 'converted-Q4_K_M.gguf');
    await quantizeGgufFile(f16, q4, 15, 1);
    const q = await readGgufHeader(q4, (k) => k === 'general.file_type');
    expect(q.metadata.get('general.file_type')).toBe(15);
    expect(statSync(q4).size).toBeLessThan(statSync(f16).size);
    const model = await llama.loadModel({ modelPath: q4, gpuLayers: 0 });
    try {
      const context = await model.createContext({ contextSize: 256, threads: 1 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const text = await completion.generateCompletion('hello world', { maxTokens: 8, temperature: 0 });
      expect(text.length).toBeGreaterThan(0);
      await context.dispose();
    } finally {
      await model.dispose();
    }
  });

  it('keeps a bf16 checkpoint bf16 (the matrices bit for bit), norms F32, as llama.cpp guesses', async () => {
    const bf16Dir = join(dir, 'chameleon-tiny-hf-bf16');
    await writeHfCheckpoint(reference, bf16Dir, P, 'BF16');
    const target = join(dir, 'converted-bf16.gguf');
    await convertHfToGguf({ dir: bf16Dir, target });
    const [ref, out] = await Promise.all([readGgufHeader(reference, () => false), readGgufHeader(target, (k) => k === 'general.file_type')]);
    expect(out.metadata.get('general.file_type')).toBe(32);
    for (const name of ['blk.1.attn_k.weight', 'output.weight', 'blk.0.ffn_down.weight']) {
      const t = ref.tensors.find((x) => x.name === name)!;
      expect(out.tensors.find((x) => x.name === name)?.ggmlType, name).toBe(30);
      // the converted bf16 bytes are the reference's f32 values rounded to bf16 (in GGUF row order)
      const f32 = new Float32Array(new Uint8Array(await bytesOf(reference, ref, name, elements(t.dimensions) * 4)).buffer);
      expect((await bytesOf(target, out, name, elements(t.dimensions) * 2)).equals(Buffer.from(toBf16Bytes(f32))), name).toBe(true);
    }
    expect(out.tensors.find((x) => x.name === 'blk.0.attn_q_norm.weight')?.ggmlType).toBe(0);
  });

  it('refuses a folder that is not a Chameleon checkpoint, and leaves nothing when cancelled', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(convertHfToGguf({ dir: empty, target: join(dir, 'x.gguf') })).rejects.toMatchObject({ code: 'models.badWeights' });
    const controller = new AbortController();
    const target = join(dir, 'cancelled.gguf');
    await expect(convertHfToGguf({ dir: checkpoint, target, signal: controller.signal, onProgress: (d, t) => d > t / 4 && controller.abort() })).rejects.toMatchObject({ code: 'models.cancelled' });
    expect(() => statSync(target)).toThrow();
    expect(() => statSync(`${target}.part`)).toThrow();
  });
});
