// Checks a GGUF file before llama.cpp sees it: a wrong or damaged file must become a clear coded
// error, never a native abort or a hang. Reads only the header, with our bounded reader.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError } from '../contract/errors.ts';
import { readGgufHeader, type GgufHeader } from './ggufHeader.ts';
import {
  ALIASED_VOCAB_SIZE,
  BOI_ID,
  CONTEXT_LENGTH,
  EOI_ID,
  EOT_ID,
  IMAGE_ALIAS_FIRST_ID,
  IMAGE_ALIAS_GGUF_KEY,
  IMAGE_CODEBOOK_SIZE,
  IMAGE_TOKEN_FIRST_ID,
  IMAGE_TOKEN_LAST_ID,
  VOCAB_SIZE,
  imageAliasName,
  imageTokenName,
} from '../contract/chameleon.ts';

export interface GgufSummary {
  path: string;
  fileName: string;
  sizeBytes: number;
  architecture: string;
  trainContextSize: number;
  embeddingLength?: number;
  layers?: number;
  vocabularySize: number;
  parameters: number;
  /** True for a GGUF the app made image-capable (ids 65536–73727 alias the image codes, §6.4). */
  imageAliases: boolean;
}

/** [block size in elements, bytes per block] for the ggml types GGUF files commonly use. */
const GGML_BLOCKS: Record<number, [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  30: [1, 2], // BF16
};

const EXPECTED_NAMES: [number, string][] = [
  [EOI_ID, '<eoss>'],
  [BOI_ID, '<racm3:break>'],
  [EOT_ID, '<reserved08706>'],
];

/** The header values validation reads; everything else in the metadata is skipped, not built. */
const KEPT_KEYS = new Set(['general.architecture', 'general.alignment', 'tokenizer.ggml.tokens', IMAGE_ALIAS_GGUF_KEY]);
const KEPT_SUFFIXES = ['.context_length', '.embedding_length', '.block_count'];

export async function validateChameleonGguf(path: string, signal?: AbortSignal): Promise<GgufSummary> {
  let sizeBytes: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new AppError('model.notFound', `Not a model file: ${path}`, { path });
    sizeBytes = s.size;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('model.notFound', `Model file not found: ${path}`, { path });
  }

  let info: GgufHeader;
  try {
    info = await readGgufHeader(path, (key) => KEPT_KEYS.has(key) || KEPT_SUFFIXES.some((k) => key.endsWith(k)), signal);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (signal?.aborted) throw new AppError('model.loadCancelled', 'Model loading was cancelled.');
    // The message names the file only: an error here must never quote the file's bytes.
    throw new AppError('model.corrupt', `Could not read the model file ${basename(path)}.`, { path }, { cause: err });
  }

  const architecture = String(info.metadata.get('general.architecture') ?? '');
  if (architecture !== 'chameleon') {
    throw new AppError('model.notChameleon', `This GGUF holds a "${architecture || 'unknown'}" model, not Chameleon.`, { path, architecture });
  }

  const tokenList = info.metadata.get('tokenizer.ggml.tokens');
  const tokens = Array.isArray(tokenList) ? tokenList : undefined;
  if (!tokens || tokens.length <= EOT_ID) {
    throw new AppError('model.noImageVocabulary', 'This Chameleon GGUF has no full vocabulary (the image tokens are missing).', {
      path,
      vocabularySize: tokens?.length ?? 0,
    });
  }
  for (let id = IMAGE_TOKEN_FIRST_ID; id <= IMAGE_TOKEN_LAST_ID; id++) {
    const expected = imageTokenName(id - IMAGE_TOKEN_FIRST_ID);
    if (tokens[id] !== expected) {
      throw new AppError('model.noImageVocabulary', `Token ${id} should be the image token ${expected} but is "${tokens[id]}".`, {
        path,
        id,
        expected,
        found: tokens[id],
      });
    }
  }
  for (const [id, expected] of EXPECTED_NAMES) {
    if (tokens[id] !== expected) {
      throw new AppError('model.noImageVocabulary', `Token ${id} should be ${expected} but is "${tokens[id]}".`, { path, id, expected, found: tokens[id] });
    }
  }

  const imageAliases = checkImageAliases(path, tokens, info.metadata.get(IMAGE_ALIAS_GGUF_KEY));

  // A cut-off download still has a valid header: compare where the tensor data must end with the
  // file size, so llama.cpp never reads past the end.
  let parameters = 0;
  let dataEnd = 0;
  for (const t of info.tensors) {
    const elements = t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
    parameters += elements;
    const block = GGML_BLOCKS[Number(t.ggmlType)];
    const bytes = block ? Math.ceil(elements / block[0]) * block[1] : 1;
    dataEnd = Math.max(dataEnd, Number(t.fileOffset) + bytes);
  }
  if (dataEnd > sizeBytes) {
    throw new AppError('model.corrupt', `The model file is incomplete: ${sizeBytes} of ${dataEnd} bytes (an interrupted download?).`, {
      path,
      sizeBytes,
      expectedBytes: dataEnd,
    });
  }

  const arch = (key: string): number | undefined => {
    const v = info.metadata.get(`chameleon.${key}`);
    return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
  };
  const embeddingLength = arch('embedding_length');
  const layers = arch('block_count');
  return {
    path,
    fileName: basename(path),
    sizeBytes,
    architecture,
    trainContextSize: arch('context_length') ?? CONTEXT_LENGTH,
    ...(embeddingLength !== undefined ? { embeddingLength } : {}),
    ...(layers !== undefined ? { layers } : {}),
    vocabularySize: tokens.length,
    parameters,
    imageAliases,
  };
}

/**
 * Chameleon's vocabulary is 65 536 tokens; the only other size accepted is the app's own
 * image-alias layout, recognised by its metadata key and its alias names, never by size alone.
 */
function checkImageAliases(path: string, tokens: unknown[], marker: unknown): boolean {
  if (marker === undefined) {
    if (tokens.length === VOCAB_SIZE) return false;
    throw new AppError('model.noImageVocabulary', `This GGUF has ${tokens.length} tokens; Chameleon has ${VOCAB_SIZE}.`, { path, vocabularySize: tokens.length });
  }
  if (Number(marker) !== IMAGE_ALIAS_FIRST_ID || tokens.length !== ALIASED_VOCAB_SIZE) {
    throw new AppError('model.noImageVocabulary', `This GGUF claims image aliases but has ${tokens.length} tokens (expected ${ALIASED_VOCAB_SIZE}).`, {
      path,
      vocabularySize: tokens.length,
    });
  }
  for (let code = 0; code < IMAGE_CODEBOOK_SIZE; code++) {
    const id = IMAGE_ALIAS_FIRST_ID + code;
    if (tokens[id] !== imageAliasName(code)) {
      throw new AppError('model.noImageVocabulary', `Token ${id} should be the image alias ${imageAliasName(code)}.`, { path, id, expected: imageAliasName(code) });
    }
  }
  return true;
}
