// Checks a GGUF file before llama.cpp sees it: a wrong or damaged file must become a clear coded
// error, never a native abort or a hang. Reads only the header (readGgufFileInfo is plain JS).
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readGgufFileInfo, type GgufFileInfo } from 'node-llama-cpp';
import { AppError } from '../contract/errors.ts';
import { BOI_ID, EOI_ID, EOT_ID, IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID, imageTokenName } from '../contract/chameleon.ts';

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

  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false, readTensorInfo: true, signal });
  } catch (err) {
    // The reader's message can quote the file's first bytes ("Expected GGUF but got …"): never echo them.
    throw new AppError('model.corrupt', 'Not a readable GGUF file: it does not start with a valid GGUF header.', { path }, { cause: err });
  }

  // The reader pads a cut-off header with zeros instead of failing: check that the header itself
  // (metadata and tensor table) lies inside the file before trusting anything in it.
  const headerEnd = Number(info.infoEndOffset ?? 0);
  if (headerEnd > sizeBytes || Number(info.tensorCount) !== (info.tensorInfo?.length ?? 0)) {
    throw new AppError('model.corrupt', `The model file is incomplete: its header alone needs ${headerEnd} bytes but the file has ${sizeBytes}.`, {
      path,
      sizeBytes,
    });
  }

  const architecture = String(info.metadata.general?.architecture ?? '');
  if (architecture !== 'chameleon') {
    throw new AppError('model.notChameleon', `This GGUF holds a "${architecture || 'unknown'}" model, not Chameleon.`, { path, architecture });
  }

  const tokens = info.metadata.tokenizer?.ggml?.tokens as readonly string[] | undefined;
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

  // A cut-off download still has a valid header: compare where the tensor data must end with the
  // file size, so llama.cpp never reads past the end.
  let parameters = 0;
  let dataEnd = 0;
  for (const t of info.tensorInfo ?? []) {
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

  const arch = info.architectureMetadata as { context_length?: number; embedding_length?: number; block_count?: number };
  return {
    path,
    fileName: basename(path),
    sizeBytes,
    architecture,
    trainContextSize: Number(arch.context_length ?? 4096),
    ...(arch.embedding_length !== undefined ? { embeddingLength: Number(arch.embedding_length) } : {}),
    ...(arch.block_count !== undefined ? { layers: Number(arch.block_count) } : {}),
    vocabularySize: tokens.length,
    parameters,
  };
}
