// A Hugging Face Chameleon checkpoint (sharded safetensors) → GGUF, laid out as llama.cpp's
// convert_hf_to_gguf.py writes Chameleon (chameleon.md §1.5): LLaMA tensor names, q/k projections
// re-permuted to the interleaved-pair RoPE layout, q/k LayerNorm taken from head row 0 with HF's
// half-split undone and repeated per head, the VQ-GAN dropped, norms and biases F32, the rest in the
// checkpoint's float type (bf16 stays bf16, f16 stays f16, else f16). Streams a tensor a slice at a
// time (a few MB in memory, whatever the model size), with progress, cancel, a disk check and a
// `.part` file. Quantize the result with quantizeGgufFile (llama.cpp's own quantizer).
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../contract/errors.ts';
import { validateChameleonGguf, type GgufSummary } from '../../engine/ggufValidation.ts';
import { ggmlQuantizer } from '../../images/vqgan/nativeAddon.ts';
import type { LazyTensor } from '../../images/vqgan/weights/safetensors.ts';
import { assertDiskSpace } from '../diskSpace.ts';
import { DTYPE_BYTES, GGML_OF_DTYPE, toF32 } from '../gguf/floatValues.ts';
import { encodeEntry, layoutGguf, type GgufEncodedValue } from '../gguf/ggufEncoder.ts';
import { PartFile } from '../gguf/PartFile.ts';
import { openHfCheckpoint, type ChameleonHparams } from './hfCheckpoint.ts';
import { SPECIAL_KEYS, readHfTokenizer, type GgufVocabulary } from './hfTokenizer.ts';

export type ConvertOutType = 'f32' | 'f16' | 'bf16';
/** llama_ftype of each output type (general.file_type) */
const FILE_TYPE: Record<ConvertOutType, number> = { f32: 0, f16: 1, bf16: 32 };
/** Source bytes converted per step. */
const STEP_BYTES = 8 * 1024 * 1024;

const GLOBAL_NAMES: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };
const BLOCK_NAMES: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.q_norm.weight': 'attn_q_norm.weight',
  'self_attn.q_norm.bias': 'attn_q_norm.bias',
  'self_attn.k_norm.weight': 'attn_k_norm.weight',
  'self_attn.k_norm.bias': 'attn_k_norm.bias',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

interface TensorPlan {
  source: LazyTensor;
  name: string;
  dims: number[];
  ggmlType: number;
  bytes: number;
  /** permute: rows re-paired per head (n heads); qkNorm: row 0 de-permuted and repeated n times */
  transform: { kind: 'copy' } | { kind: 'permute'; heads: number } | { kind: 'qkNorm'; heads: number };
}

export interface ConvertOptions {
  /** the checkpoint folder: config.json, tokenizer files, safetensors shard(s) */
  dir: string;
  target: string;
  outType?: ConvertOutType;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

function ggufName(hf: string, dir: string): string {
  const global = GLOBAL_NAMES[hf];
  if (global) return global;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  const block = m && BLOCK_NAMES[m[2]!];
  if (!block) throw new AppError('models.badWeights', `The checkpoint has a tensor llama.cpp's Chameleon layout has no place for: ${hf}.`, { dir, tensor: hf });
  return `blk.${m[1]}.${block}`;
}

function plan(t: LazyTensor, hp: ChameleonHparams, outType: ConvertOutType, dir: string): TensorPlan {
  const name = ggufName(t.name, dir);
  const headsOf = name.includes('attn_k') ? hp.headsKv : hp.heads;
  const transform: TensorPlan['transform'] = /attn_[qk]\.weight$/.test(name)
    ? { kind: 'permute', heads: headsOf }
    : /attn_[qk]_norm\./.test(name)
      ? { kind: 'qkNorm', heads: headsOf }
      : { kind: 'copy' };
  // HF's per-head norms are (heads, head_dim): the GGUF's are {head_dim, heads}. (llama.cpp's
  // converter derives head_dim for k_norm as hidden/kv_heads, which only agrees without GQA; the
  // row length is the head dimension either way.)
  const dims = [...t.shape].reverse();
  if (t.shape.length > 2 || (transform.kind === 'permute' && t.shape[0]! % (2 * transform.heads) !== 0)) {
    throw new AppError('models.badWeights', `Tensor ${t.name} has shape [${t.shape.join(', ')}], which does not fit the config.`, { dir, tensor: t.name });
  }
  const f32 = t.shape.length <= 1 || name.endsWith('_norm.weight') || !name.endsWith('.weight');
  const ggmlType = f32 ? GGML_OF_DTYPE.f32 : GGML_OF_DTYPE[outType];
  const rows = dims.slice(1).reduce((a, b) => a * b, 1);
  return { source: t, name, dims, ggmlType, bytes: ggmlQuantizer.rowSize(ggmlType, dims[0]!) * rows, transform };
}

function metadata(hp: ChameleonHparams, vocab: GgufVocabulary, outType: ConvertOutType, name: string): Uint8Array[] {
  const e: [string, GgufEncodedValue][] = [
    ['general.architecture', { type: 'string', value: 'chameleon' }],
    ['general.name', { type: 'string', value: name }],
    ['chameleon.block_count', { type: 'u32', value: hp.layers }],
    ['chameleon.context_length', { type: 'u32', value: hp.contextLength }],
    ['chameleon.embedding_length', { type: 'u32', value: hp.hiddenSize }],
    ['chameleon.feed_forward_length', { type: 'u32', value: hp.intermediateSize }],
    ['chameleon.attention.head_count', { type: 'u32', value: hp.heads }],
    ['chameleon.attention.head_count_kv', { type: 'u32', value: hp.headsKv }],
    ['chameleon.rope.freq_base', { type: 'f32', value: hp.ropeTheta }],
    ['chameleon.attention.layer_norm_rms_epsilon', { type: 'f32', value: hp.rmsNormEps }],
    ['general.file_type', { type: 'u32', value: FILE_TYPE[outType] }],
    ['chameleon.swin_norm', { type: 'bool', value: hp.swinNorm }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'chameleon' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: vocab.merges }],
  ];
  for (const [typ, id] of Object.entries(vocab.special)) e.push([`tokenizer.ggml.${SPECIAL_KEYS[typ as keyof typeof SPECIAL_KEYS]}`, { type: 'u32', value: id }]);
  if (vocab.addBos !== undefined) e.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: vocab.addBos }]);
  if (vocab.addEos !== undefined) e.push(['tokenizer.ggml.add_eos_token', { type: 'bool', value: vocab.addEos }]);
  if (vocab.chatTemplate !== undefined) e.push(['tokenizer.chat_template', { type: 'string', value: vocab.chatTemplate }]);
  return e.map(([k, v]) => encodeEntry(k, v));
}

/** The output type llama.cpp's converter guesses: the first matrix's dtype, bf16 or f16, else f16. */
function guessOutType(tensors: LazyTensor[]): ConvertOutType {
  const first = tensors.find((t) => t.shape.length >= 2);
  return first?.dtype === 'bf16' ? 'bf16' : 'f16';
}

export async function convertHfToGguf(opts: ConvertOptions): Promise<GgufSummary> {
  const checkpoint = await openHfCheckpoint(opts.dir);
  let part: PartFile | undefined;
  try {
    const config = JSON.parse(await readFile(join(opts.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const vocab = await readHfTokenizer(opts.dir, checkpoint.hparams.vocabSize, config);
    const outType = opts.outType ?? guessOutType(checkpoint.tensors);
    const plans = checkpoint.tensors.map((t) => plan(t, checkpoint.hparams, outType, opts.dir));
    if (!plans.some((p) => p.name === 'output.weight')) throw new AppError('models.badWeights', 'The checkpoint has no lm_head.weight (Chameleon does not tie it to the embeddings).', { dir: opts.dir });
    const layout = layoutGguf(metadata(checkpoint.hparams, vocab, outType, basename(opts.dir)), plans.map((p) => ({ name: p.name, dims: p.dims, ggmlType: p.ggmlType, bytes: p.bytes })));
    await assertDiskSpace(dirname(opts.target), layout.fileBytes, 'the converted model');
    let done = 0;
    part = await PartFile.create(opts.target, opts.signal, (n) => {
      done += n;
      opts.onProgress?.(done, layout.fileBytes);
    });
    await part.write(layout.header, 0);
    for (const [i, p] of plans.entries()) await writeTensor(p, part, layout.header.length + layout.offsets[i]!);
    await part.finish(layout.fileBytes);
    const summary = await validateChameleonGguf(part.path, opts.signal);
    await part.commit();
    return { ...summary, path: opts.target, fileName: basename(opts.target) };
  } catch (err) {
    await part?.discard();
    if (opts.signal?.aborted && !(err instanceof AppError && err.code === 'models.cancelled')) throw new AppError('models.cancelled', 'The conversion was cancelled; nothing was kept.', undefined, { cause: err });
    throw err;
  } finally {
    await checkpoint.close();
  }
}

/** q/k rows of each head from HF's half-split order back to interleaved pairs (LlamaModel.permute). */
function permuteRows(bytes: Uint8Array, rowBytes: number, headRows: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const half = headRows / 2;
  for (let head = 0; head * headRows * rowBytes < bytes.length; head++) {
    const base = head * headRows;
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < half; b++) {
        const from = (base + a * half + b) * rowBytes;
        out.set(bytes.subarray(from, from + rowBytes), (base + 2 * b + a) * rowBytes);
      }
    }
  }
  return out;
}

async function writeTensor(p: TensorPlan, part: PartFile, at: number): Promise<void> {
  const t = p.source;
  const read = t.readRange!;
  const cols = t.shape.at(-1) ?? 1;
  const rows = t.shape.length > 1 ? t.shape[0]! : 1;
  const srcRowBytes = cols * DTYPE_BYTES[t.dtype];
  if (p.transform.kind === 'qkNorm') {
    // row 0, its halves interleaved again, repeated for every head
    const row = await toF32(t.dtype, await read(0, srcRowBytes), cols);
    const out = new Float32Array(cols * p.transform.heads);
    for (let i = 0; i < cols / 2; i++) for (let j = 0; j < 2; j++) out[2 * i + j] = row[j * (cols / 2) + i]!;
    for (let h = 1; h < p.transform.heads; h++) out.copyWithin(h * cols, 0, cols);
    await part.write(new Uint8Array(out.buffer), at);
    return;
  }
  const headRows = p.transform.kind === 'permute' ? rows / p.transform.heads : 1;
  const step = Math.max(headRows, Math.floor(STEP_BYTES / srcRowBytes / headRows) * headRows);
  let position = at;
  for (let first = 0; first < rows; first += step) {
    const count = Math.min(step, rows - first);
    let bytes = await read(first * srcRowBytes, count * srcRowBytes);
    if (p.transform.kind === 'permute') bytes = permuteRows(bytes, srcRowBytes, headRows);
    if (GGML_OF_DTYPE[t.dtype] !== p.ggmlType) bytes = await ggmlQuantizer.quantize(p.ggmlType, await toF32(t.dtype, bytes, count * cols), count, cols);
    await part.write(bytes, position);
    position += bytes.length;
  }
}
