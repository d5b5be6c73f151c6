// The image-alias transform (chameleon.md §6.4): a Chameleon GGUF of any quantization becomes one
// with 8192 extra CONTROL tokens at 65536–73727, alias c standing for image code c. llama.cpp masks
// the logits of ids 4–8195 in its graph, never those of the aliases, so sampling on the aliases is
// how a stock llama.cpp draws. Rows of every ggml type are independent blocks along the row, so:
// `token_embd` alias rows are byte copies of rows 4+c; `output` alias rows are Anole's image head
// quantized to `output`'s own type by ggml (or, without a head, byte copies of rows 4+c: then the
// aliases reproduce Chameleon's own image logits exactly). Everything else is copied byte for byte.
// Streams (a 4–14 GB file is never held), reports progress, can be cancelled, checks the disk
// first, writes `.part` and renames it only after the result validated as image-capable.
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../contract/errors.ts';
import { IMAGE_ALIAS_FIRST_ID, IMAGE_ALIAS_GGUF_KEY, IMAGE_CODEBOOK_SIZE, IMAGE_TOKEN_FIRST_ID, VOCAB_SIZE, imageAliasName } from '../../contract/chameleon.ts';
import { readGgufHeader, type GgufTensorEntry } from '../../engine/ggufHeader.ts';
import { validateChameleonGguf, type GgufSummary } from '../../engine/ggufValidation.ts';
import { ggmlQuantizer } from '../../images/vqgan/nativeAddon.ts';
import { assertDiskSpace } from '../diskSpace.ts';
import { encodeEntry, layoutGguf, type GgufTensorInfo } from './ggufEncoder.ts';
import type { ImageHead } from './imageHead.ts';
import { PartFile, copyRange } from './PartFile.ts';

/** llama.cpp's token types (llama_token_type): CONTROL tokens never detokenize to text. */
const TOKEN_TYPE_CONTROL = 3;
const KEYS = { tokens: 'tokenizer.ggml.tokens', types: 'tokenizer.ggml.token_type', scores: 'tokenizer.ggml.scores', vocab: 'chameleon.vocab_size' } as const;
const REWRITTEN = new Set<string>([KEYS.tokens, KEYS.types, KEYS.scores, KEYS.vocab, IMAGE_ALIAS_GGUF_KEY]);
const EXTENDED = new Set(['token_embd.weight', 'output.weight']);
/** Head rows quantized per step: 256 × 4096 f32 = 4 MiB in, a fraction of that out. */
const HEAD_ROWS_PER_STEP = 256;

export interface MakeImageCapableOptions {
  source: string;
  /** the new file; must not exist */
  target: string;
  /** Anole's image head; without it the alias output rows copy Chameleon's rows 4+c */
  head?: ImageHead;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

function wrongFile(message: string, details: Record<string, unknown>): AppError {
  return new AppError('models.wrongFile', message, details);
}

function tensorBytes(t: { dimensions: readonly number[]; ggmlType: number }): number {
  const [rowLength, ...rest] = t.dimensions;
  return ggmlQuantizer.rowSize(t.ggmlType, rowLength!) * rest.reduce((a, b) => a * b, 1);
}

function numbers(v: unknown, what: string, path: string): number[] {
  if (!Array.isArray(v) || v.length !== VOCAB_SIZE) throw wrongFile(`${what} of this GGUF does not list ${VOCAB_SIZE} tokens.`, { path });
  return v.map(Number);
}

export async function makeImageCapableGguf(opts: MakeImageCapableOptions): Promise<GgufSummary> {
  const { source, target, head, signal } = opts;
  const summary = await validateChameleonGguf(source, signal); // model.notChameleon and the like
  if (summary.imageAliases) throw new AppError('models.alreadyImageCapable', `${summary.fileName} already has image aliases.`, { path: source });
  const keep = (k: string): boolean => REWRITTEN.has(k) || k === 'general.alignment';
  const info = await readGgufHeader(source, keep, signal);
  const tokens = info.metadata.get(KEYS.tokens) as string[];
  const types = numbers(info.metadata.get(KEYS.types), 'The token types', source);
  const scores = info.metadata.has(KEYS.scores) ? numbers(info.metadata.get(KEYS.scores), 'The token scores', source) : undefined;

  const byName = new Map(info.tensors.map((t) => [t.name, t]));
  const embd = byName.get('token_embd.weight');
  const output = byName.get('output.weight');
  for (const [name, t] of [['token_embd.weight', embd], ['output.weight', output]] as const) {
    if (!t || t.dimensions.length !== 2 || t.dimensions[1] !== VOCAB_SIZE)
      throw wrongFile(`${summary.fileName} has no ${name} of ${VOCAB_SIZE} rows (an untied Chameleon has one).`, { path: source, tensor: name });
  }
  const columns = output!.dimensions[0]!;
  if (head) {
    if (head.columns !== columns) throw new AppError('models.badWeights', `The image head has rows of ${head.columns} values; this model's are ${columns}.`, { columns: head.columns, expected: columns });
    const outType = ggmlQuantizer.typeInfo(output!.ggmlType);
    if (!outType.canQuantize) throw new AppError('models.quantizeUnsupported', `This model's output tensor is ${outType.name}, which ggml cannot write without an importance matrix.`, { type: outType.name });
  }

  // The header: every entry copied as it was, except the vocabulary (extended) and our marker.
  const sourceFile = await open(source, 'r');
  let part: PartFile | undefined;
  try {
    const rawHeader = new Uint8Array(info.headerBytes);
    await sourceFile.read(rawHeader, 0, info.headerBytes, 0);
    const aliasNames = Array.from({ length: IMAGE_CODEBOOK_SIZE }, (_, c) => imageAliasName(c));
    const entries: Uint8Array[] = [];
    let hasVocabSize = false;
    for (const e of info.entries) {
      if (e.key === KEYS.tokens) entries.push(encodeEntry(e.key, { type: 'string[]', value: [...tokens, ...aliasNames] }));
      else if (e.key === KEYS.types) entries.push(encodeEntry(e.key, { type: 'i32[]', value: [...types, ...aliasNames.map(() => TOKEN_TYPE_CONTROL)] }));
      else if (e.key === KEYS.scores) entries.push(encodeEntry(e.key, { type: 'f32[]', value: [...scores!, ...aliasNames.map(() => 0)] }));
      else if (e.key === KEYS.vocab) {
        hasVocabSize = true;
        entries.push(encodeEntry(e.key, { type: 'u32', value: VOCAB_SIZE + IMAGE_CODEBOOK_SIZE }));
      } else entries.push(rawHeader.subarray(e.start, e.end));
    }
    // node-llama-cpp's GgufInsights reads the vocabulary size from this key
    if (!hasVocabSize) entries.push(encodeEntry(KEYS.vocab, { type: 'u32', value: VOCAB_SIZE + IMAGE_CODEBOOK_SIZE }));
    entries.push(encodeEntry(IMAGE_ALIAS_GGUF_KEY, { type: 'u32', value: IMAGE_ALIAS_FIRST_ID }));

    const tensors: (GgufTensorInfo & { entry: GgufTensorEntry; sourceBytes: number })[] = info.tensors.map((t) => {
      const sourceBytes = tensorBytes(t);
      const dims = EXTENDED.has(t.name) ? [t.dimensions[0]!, VOCAB_SIZE + IMAGE_CODEBOOK_SIZE] : t.dimensions;
      return { name: t.name, dims, ggmlType: t.ggmlType, bytes: tensorBytes({ dimensions: dims, ggmlType: t.ggmlType }), entry: t, sourceBytes };
    });
    const layout = layoutGguf(entries, tensors, info.alignment);
    await assertDiskSpace(dirname(target), layout.fileBytes, 'the image-capable model');

    let done = 0;
    const report = (n: number): void => {
      done += n;
      opts.onProgress?.(done, layout.fileBytes);
    };
    part = await PartFile.create(target, signal, report);
    await part.write(layout.header, 0);
    for (const [i, t] of tensors.entries()) {
      const at = layout.header.length + layout.offsets[i]!;
      await copyRange(sourceFile, t.entry.fileOffset, t.sourceBytes, part, at);
      if (!EXTENDED.has(t.name)) continue;
      const rowBytes = ggmlQuantizer.rowSize(t.ggmlType, t.dims[0]!);
      const aliasAt = at + t.sourceBytes;
      if (t.name === 'output.weight' && head) await writeHeadRows(head, t.ggmlType, columns, part, aliasAt, signal);
      else await copyRange(sourceFile, t.entry.fileOffset + IMAGE_TOKEN_FIRST_ID * rowBytes, IMAGE_CODEBOOK_SIZE * rowBytes, part, aliasAt);
    }
    await part.finish(layout.fileBytes);
    const result = await validateChameleonGguf(part.path, signal);
    if (!result.imageAliases) throw new AppError('internal', 'The transformed model did not validate as image-capable.');
    await part.commit();
    return { ...result, path: target, fileName: target.split(/[\\/]/).pop()! };
  } catch (err) {
    await part?.discard();
    if (signal?.aborted && !(err instanceof AppError && err.code === 'models.cancelled')) {
      throw new AppError('models.cancelled', 'The model transform was cancelled; nothing was kept.', undefined, { cause: err });
    }
    throw err;
  } finally {
    await sourceFile.close();
  }
}

/** Anole's rows, a step at a time: read as f32, quantized by ggml to the output tensor's type. */
async function writeHeadRows(head: ImageHead, ggmlType: number, columns: number, part: PartFile, at: number, signal: AbortSignal | undefined): Promise<void> {
  let position = at;
  for (let first = 0; first < IMAGE_CODEBOOK_SIZE; first += HEAD_ROWS_PER_STEP) {
    part.throwIfCancelled();
    const count = Math.min(HEAD_ROWS_PER_STEP, IMAGE_CODEBOOK_SIZE - first);
    const values = await head.readRows(first, count, signal);
    const bytes = await ggmlQuantizer.quantize(ggmlType, values, count, columns);
    await part.write(bytes, position);
    position += bytes.length;
  }
}
