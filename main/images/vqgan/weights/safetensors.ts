// safetensors, read lazily: the header is parsed first and tensor bytes are read by byte range
// only for the tensors we keep, so a multi-gigabyte language-model shard costs one header read.
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../../../contract/errors.ts';
import type { NativeTensor } from '../nativeAddon.ts';

/** A tensor whose bytes have not been read yet. */
export interface LazyTensor {
  /** name as stored in the file */
  name: string;
  shape: number[];
  dtype: NativeTensor['dtype'];
  read(): Promise<Uint8Array>;
  /** For a contiguous tensor: `length` bytes from `offset` within its data (a few rows of a 14 GB checkpoint's head). */
  readRange?(offset: number, length: number): Promise<Uint8Array>;
}

const DTYPES: Record<string, { dtype: NativeTensor['dtype']; size: number }> = {
  F32: { dtype: 'f32', size: 4 },
  F16: { dtype: 'f16', size: 2 },
  BF16: { dtype: 'bf16', size: 2 },
};

/** Headers larger than this are not a real safetensors file (the format itself caps them at 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

function invalid(file: string, why: string): AppError {
  return new AppError('vqgan.weightsInvalid', `${file} is not a valid safetensors file: ${why}`, { file });
}

export async function readExactly(fh: FileHandle, position: number, length: number, file: string): Promise<Uint8Array> {
  // Lengths come from the file itself: check them against its size before allocating, so a zip
  // entry declaring 4 GB is a coded error, not 4 GB of zeros (or a RangeError).
  if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0 || position + length > (await fh.stat()).size) {
    throw new AppError('vqgan.weightsInvalid', `${file} ends early (wanted ${length} bytes at ${position}).`, { file });
  }
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new AppError('vqgan.weightsInvalid', `${file} ends early (wanted ${length} bytes at ${position}).`, { file });
    done += bytesRead;
  }
  return buf;
}

/**
 * Open a safetensors file and list its tensors. `keep` filters by stored name before any dtype
 * check, so unrelated tensors (an LM's I8/F8 weights, say) never matter. The returned `close`
 * must be called once the needed tensors are read.
 */
export async function openSafetensors(file: string, keep: (name: string) => boolean = () => true): Promise<{ tensors: LazyTensor[]; close: () => Promise<void> }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new AppError('vqgan.weightsNotFound', `Cannot open the VQ-GAN weights ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    const size = (await stat(file)).size;
    if (size < 8) throw invalid(file, `only ${size} bytes`);
    const lenBytes = await readExactly(fh, 0, 8, file);
    const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
    if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > size) throw invalid(file, 'implausible header length');
    const headerBytes = await readExactly(fh, 8, headerLen, file);
    let header: unknown;
    try {
      // Both throw on a hostile header: the decoder on bytes that are not UTF-8 (found by fuzzing).
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
    } catch {
      throw invalid(file, 'header is not UTF-8 JSON');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid(file, 'header is not a JSON object');
    const base = 8 + headerLen;
    const dataSize = size - base;
    const tensors: LazyTensor[] = [];
    for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__' || !keep(name)) continue;
      if (typeof entry !== 'object' || entry === null) throw invalid(file, `tensor ${name} is not an object`);
      const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const shape = e.shape;
      const offsets = e.data_offsets;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw invalid(file, `tensor ${name} has no valid shape`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0)) throw invalid(file, `tensor ${name} has no valid data_offsets`);
      const kind = DTYPES[String(e.dtype)];
      if (!kind) {
        throw new AppError('vqgan.weightsInvalid', `Tensor ${name} in ${file} is ${String(e.dtype)}; only F32, F16 and BF16 are supported.`, { file, tensor: name });
      }
      const [begin, end] = offsets as [number, number];
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (end < begin || end > dataSize || end - begin !== count * kind.size) {
        throw invalid(file, `tensor ${name} byte range [${begin}, ${end}) does not fit its shape or the file`);
      }
      tensors.push({
        name,
        shape: shape as number[],
        dtype: kind.dtype,
        read: () => readExactly(fh, base + begin, end - begin, file),
        readRange: (offset, length) => {
          if (offset < 0 || length < 0 || offset + length > end - begin) return Promise.reject(invalid(file, `a read past tensor ${name}`));
          return readExactly(fh, base + begin + offset, length, file);
        },
      });
    }
    return { tensors, close: () => fh.close() };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
