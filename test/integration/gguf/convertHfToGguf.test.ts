// The checkpoint converter on a tiny random HF-layout Chameleon written here: random weights are
// written once as a GGUF by our fixture writer (the reference), then turned into an HF checkpoint
// (two safetensors shards + index, config.json, tokenizer files) by the inverse of llama.cpp's
// permutations; converting it back must give the reference's tensors byte for byte, its
// vocabulary, and its logits in node-llama-cpp; llama.cpp's quantizer then makes a Q4_K_M that loads
// and answers.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaCompletion, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader, type GgufHeader } from '../../../main/engine/ggufHeader.ts';
import { quantizeGgufFile } from '../../../main/images/vqgan/nativeAddon.ts';
import { convertHfToGguf } from '../../../main/models/convert/convertHfToGguf.ts';
import { writeChameleonGguf, type ChameleonGgufParams } from '../../fixtures/gguf/chameleonGguf.ts';
import { buildChameleonVocab } from '../../fixtures/gguf/chameleonVocab.ts';
import { writeSafetensors, type SafetensorsTensor } from '../../fixtures/gguf/safetensorsWriter.ts';

const P: ChameleonGgufParams = { embd: 64, layers: 2, heads: 4, headsKv: 4, ff: 128, contextLength: 4096, weights: 'f32', seed: 41 };
const D = P.embd / P.heads;
let dir: string;
let reference: string;
let checkpoint: string;
let llama: Llama;

async function bytesOf(path: string, h: GgufHeader, name: string, length: number): Promise<Buffer> {
  const t = h.tensors.find((x) => x.name === name)!;
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(length);
    await fh.read(b, 0, length, t.fileOffset);
    return b;
  } finally {
    await fh.close();
  }
}

const elements = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** HF's half-split order from llama.cpp's interleaved pairs: hf[h·D + a·D/2 + b] = gguf[h·D + 2b + a]. */
function toHfRows(f32: Float32Array, rowLength: number, headRows: number): Float32Array<ArrayBufferLike> {
  const out = new Float32Array(f32.length);
  for (let row = 0; row < f32.length / rowLength; row++) {
    const head = Math.floor(row / headRows);
    const r = row % headRows;
    const a = r % 2;
    const b = (r - a) / 2;
    out.set(f32.subarray(row * rowLength, (row + 1) * rowLength), (head * headRows + a * (headRows / 2) + b) * rowLength);
  }
  return out;
}

const HF_NAMES: Record<string, string> = {
  attn_norm: 'input_layernorm', attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj', attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm', attn_k_norm: 'self_attn.k_norm', ffn_norm: 'post_attention_layernorm', ffn_gate: 'mlp.gate_proj', ffn_up: 'mlp.up_proj', ffn_down: 'mlp.down_proj',
};

async function writeHfCheckpoint(): Promise<void> {
  const h = await readGgufHeader(reference, () => false);
  const shards: SafetensorsTensor[][] = [[], []];
  for (const t of h.tensors) {
    const f32 = new Float32Array(new Uint8Array(await bytesOf(reference, h, t.name, elements(t.dimensions) * 4)).buffer);
    const shape = [...t.dimensions].reverse();
    const [, blk, kind, suffix] = /^(?:blk\.(\d+)\.)?([a-z_]+)\.(weight|bias)$/.exec(t.name)!;
    let name = blk === undefined ? { token_embd: 'model.embed_tokens', output_norm: 'model.norm', output: 'lm_head' }[kind!]! : `model.layers.${blk}.${HF_NAMES[kind!]}`;
    name += `.${suffix}`;
    let values: Float32Array = f32;
    if (kind === 'attn_q' || kind === 'attn_k') values = toHfRows(f32, P.embd, D);
    if (kind === 'attn_q_norm' || kind === 'attn_k_norm') {
      // HF keeps (heads, head_dim) with each row in half-split order
      const row = new Float32Array(D);
      for (let i = 0; i < D / 2; i++) for (let j = 0; j < 2; j++) row[j * (D / 2) + i] = f32[2 * i + j]!;
      values = new Float32Array(f32.length);
      for (let r = 0; r < f32.length / D; r++) values.set(row, r * D);
    }
    shards[blk === '1' || kind === 'output' ? 1 : 0]!.push({ name, dtype: 'F32', shape, bytes: new Uint8Array(values.buffer) });
  }
  // the VQ-GAN rides along in HF checkpoints; the GGUF drops it
  shards[1]!.push({ name: 'model.vqmodel.quantize.embedding.weight', dtype: 'F32', shape: [4, 4], bytes: new Uint8Array(64) });
  mkdirSync(checkpoint, { recursive: true });
  const weightMap: Record<string, string> = {};
  shards.forEach((tensors, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(checkpoint, file), tensors);
    for (const t of tensors) weightMap[t.name] = file;
  });
  writeFileSync(join(checkpoint, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  writeFileSync(join(checkpoint, 'config.json'), JSON.stringify({
    architectures: ['ChameleonForConditionalGeneration'], hidden_size: P.embd, intermediate_size: P.ff, num_hidden_layers: P.layers,
    num_attention_heads: P.heads, num_key_value_heads: P.headsKv, max_position_embeddings: P.contextLength, rope_theta: 10000,
    rms_norm_eps: 1e-5, vocab_size: 65536, swin_norm: false, tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 2, pad_token_id: 1,
  }));
  const vocab = buildChameleonVocab({ seed: P.seed });
  const added = vocab.tokens.flatMap((content, id) => (vocab.types[id] === 3 ? [{ id, content, special: true, normalized: false }] : []));
  writeFileSync(join(checkpoint, 'tokenizer.json'), JSON.stringify({ version: '1.0', added_tokens: added, model: { type: 'BPE', vocab: Object.fromEntries(vocab.tokens.map((t, i) => [t, i])), merges: vocab.merges } }));
  writeFileSync(join(checkpoint, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>', sep_token: '<reserved08706>', add_bos_token: true }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chameleon-convert-'));
  reference = join(dir, 'reference.gguf');
  checkpoint = join(dir, 'chameleon-tiny-hf');
  writeChameleonGguf(reference, P, { randomNorms: 0.1 });
  await writeHfCheckpoint();
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
