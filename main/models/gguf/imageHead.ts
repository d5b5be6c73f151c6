// Anole's image head: rows 4–8195 of its output projection (one row per image code, 8192 × 4096),
// read from whichever file the user has, and only those bytes:
// - the HF safetensors shard holding `lm_head.weight` (the header gives the tensor's byte range);
// - Meta-format `consolidated.pth` (a PyTorch zip; `output.weight`, read by range from its storage);
// - the small safetensors the app's range download writes (8192 rows of `lm_head.weight`).
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../../contract/errors.ts';
import { IMAGE_CODEBOOK_SIZE, IMAGE_TOKEN_FIRST_ID, VOCAB_SIZE } from '../../contract/chameleon.ts';
import { openSafetensors, type LazyTensor } from '../../images/vqgan/weights/safetensors.ts';
import { openTorchCheckpoint, sniffCheckpoint } from '../../images/vqgan/weights/torchCheckpoint.ts';
import { DTYPE_BYTES, toF32 } from './floatValues.ts';

export interface ImageHead {
  /** values per row: the model's embedding length */
  readonly columns: number;
  readonly dtype: LazyTensor['dtype'];
  /** f32 values of image rows [first, first + count), row c being image code c */
  readRows(first: number, count: number, signal?: AbortSignal): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Names the head goes by: HF (`lm_head.weight`), Meta (`output.weight`). */
const HEAD_NAMES = new Set(['lm_head.weight', 'output.weight']);

function badWeights(file: string, why: string): AppError {
  return new AppError('models.badWeights', `${file.split(/[\\/]/).pop()} holds no image head: ${why}.`, { file });
}

/** The head inside a tensor of either all 65 536 rows (from row 4) or exactly the 8192 image rows. */
function headOf(tensor: LazyTensor, file: string, close: () => Promise<void>): ImageHead {
  const [rows, columns] = tensor.shape as [number, number];
  if (tensor.shape.length !== 2 || (rows !== VOCAB_SIZE && rows !== IMAGE_CODEBOOK_SIZE)) {
    throw badWeights(file, `${tensor.name} has shape [${tensor.shape.join(', ')}], expected [${VOCAB_SIZE} or ${IMAGE_CODEBOOK_SIZE}, columns]`);
  }
  const readRange = tensor.readRange;
  if (!readRange) throw badWeights(file, `${tensor.name} is not stored contiguously`);
  const firstRow = rows === VOCAB_SIZE ? IMAGE_TOKEN_FIRST_ID : 0;
  const rowBytes = columns * DTYPE_BYTES[tensor.dtype];
  return {
    columns,
    dtype: tensor.dtype,
    async readRows(first, count, signal) {
      signal?.throwIfAborted();
      if (first < 0 || count < 0 || first + count > IMAGE_CODEBOOK_SIZE) throw new AppError('internal', `image head rows ${first}+${count} are out of range`);
      return toF32(tensor.dtype, await readRange((firstRow + first) * rowBytes, count * rowBytes), count * columns);
    },
    close,
  };
}

/** Opens the head in `file` (any of the three layouts above); the caller closes it. */
export async function openImageHead(file: string): Promise<ImageHead> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new AppError('models.badWeights', `Cannot open ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    if ((await sniffCheckpoint(fh, file)) === 'zip') {
      const tensors = await openTorchCheckpoint(fh, file, (await fh.stat()).size, (name) => HEAD_NAMES.has(name));
      const tensor = tensors.find((t) => t.name === 'output.weight') ?? tensors[0];
      if (!tensor) throw badWeights(file, 'the checkpoint has no output.weight');
      return headOf(tensor, file, () => fh.close());
    }
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw asBadWeights(err, file);
  }
  try {
    const { tensors, close } = await openSafetensors(file, (name) => HEAD_NAMES.has(name));
    const tensor = tensors.find((t) => t.name === 'lm_head.weight') ?? tensors[0];
    if (!tensor) {
      await close();
      throw badWeights(file, 'no lm_head.weight in it (choose the shard the index names for it)');
    }
    try {
      return headOf(tensor, file, close);
    } catch (err) {
      await close();
      throw err;
    }
  } catch (err) {
    throw asBadWeights(err, file);
  }
}

/** The readers are shared with the VQ-GAN loader; their errors speak of VQ-GAN weights. */
function asBadWeights(err: unknown, file: string): unknown {
  if (err instanceof AppError && err.code.startsWith('vqgan.')) return new AppError('models.badWeights', `${file.split(/[\\/]/).pop()} is not a weights file the app can read.`, { file }, { cause: err });
  return err;
}
