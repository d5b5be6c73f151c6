// A bounded reader of a GGUF header (format v2/v3: magic, counts, metadata, tensor table), for
// files we did not write. node-llama-cpp's reader pads a short file with zeros, so a 24-byte
// header declaring 2^40 metadata entries kept the host at 95 % CPU forever; here every count and
// length is checked against the bytes the file still has before anything is read, nesting is
// bounded, and the whole parse is linear in the header's size. Values we do not need (scores,
// merges) are skipped, not built.
import { open } from 'node:fs/promises';
import { AppError } from '../contract/errors.ts';

export type GgufScalar = number | bigint | boolean | string;
export type GgufValue = GgufScalar | GgufValue[];

export interface GgufTensorEntry {
  name: string;
  dimensions: number[];
  ggmlType: number;
  /** Absolute position of the tensor's data in the file. */
  fileOffset: number;
}

export interface GgufHeader {
  version: number;
  /** Only the keys the caller asked for (`keep`). */
  metadata: Map<string, GgufValue>;
  tensorCount: number;
  tensors: GgufTensorEntry[];
  /** Where the header (metadata and tensor table) ends. */
  headerBytes: number;
  /** Every metadata entry's bytes in the file (key, type and value), kept or not, in file order: lets a rewrite copy what it does not change. */
  entries: { key: string; start: number; end: number }[];
  alignment: number;
  /** Where the tensor data begins (the header padded to the alignment). */
  dataStart: number;
}

/** The least bytes one metadata entry takes (empty key, u8 value) and one tensor entry (empty name, 0 dims). */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_BYTES = 8 + 4 + 4 + 8;
const MAX_ARRAY_NESTING = 4;
const MAX_DIMS = 8;
/** Scalar sizes by GGUF value type; 8 = string, 9 = array. */
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
/** Headers of real models are a few MB (a 65 536-entry vocabulary); refuse anything past this. */
export const GGUF_MAX_HEADER_BYTES = 64 * 1024 * 1024;
const FIRST_READ_BYTES = 1024 * 1024;

const corrupt = (message: string, details: Record<string, unknown> = {}): AppError => new AppError('model.corrupt', message, details);

/** Thrown inside the parse when the buffer ends before the file does: read more and parse again. */
class NeedMore {
  readonly bytes: number;
  constructor(bytes: number) {
    this.bytes = bytes;
  }
}

/**
 * Parse from a prefix of the file (`fileSize` bytes in all). Given the whole file it throws only
 * AppErrors; given a shorter prefix it may throw NeedMore (readGgufHeader reads more and retries).
 */
export function parseGgufHeader(buf: Uint8Array, fileSize: number, keep: (key: string) => boolean): GgufHeader {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const utf8 = new TextDecoder('utf-8');
  let p = 0;
  const need = (n: number | bigint, what: string): number => {
    if (typeof n === 'bigint' ? n > BigInt(fileSize - p) : n > fileSize - p)
      throw corrupt(`The model file is incomplete or damaged: ${what} needs ${n} bytes but the file has ${fileSize - p} left.`, { fileSize });
    const count = Number(n);
    if (p + count > buf.length) throw new NeedMore(p + count);
    return count;
  };
  const u32 = (what: string): number => (need(4, what), (p += 4), view.getUint32(p - 4, true));
  const u64 = (what: string): bigint => (need(8, what), (p += 8), view.getBigUint64(p - 8, true));
  /** A u64 count of items of at least `itemBytes` each, checked against what is left of the file. */
  const count = (what: string, itemBytes: number): number => {
    const n = u64(what);
    if (n * BigInt(itemBytes) > BigInt(fileSize - p))
      throw corrupt(`The model file is damaged: it declares ${n} ${what}, more than its ${fileSize} bytes can hold.`, { fileSize, declared: String(n) });
    return Number(n);
  };
  const string = (what: string, build: boolean): string => {
    const n = need(u64(`the length of ${what}`), what);
    p += n;
    return build ? utf8.decode(buf.subarray(p - n, p)) : '';
  };
  const scalar = (type: number, build: boolean): GgufScalar => {
    const size = SCALAR_BYTES[type]!;
    need(size, 'a value');
    p += size;
    if (!build) return 0;
    const at = p - size;
    switch (type) {
      case 0: return view.getUint8(at);
      case 1: return view.getInt8(at);
      case 2: return view.getUint16(at, true);
      case 3: return view.getInt16(at, true);
      case 4: return view.getUint32(at, true);
      case 5: return view.getInt32(at, true);
      case 6: return view.getFloat32(at, true);
      case 7: return view.getUint8(at) !== 0;
      case 10: return view.getBigUint64(at, true);
      case 11: return view.getBigInt64(at, true);
      default: return view.getFloat64(at, true);
    }
  };
  const value = (type: number, build: boolean, depth: number): GgufValue => {
    if (type === 8) return string('a string value', build);
    if (type === 9) {
      if (depth >= MAX_ARRAY_NESTING) throw corrupt(`The model file is damaged: arrays nested deeper than ${MAX_ARRAY_NESTING}.`);
      const elementType = u32('an array type');
      const minBytes = elementType === 8 ? 8 : elementType === 9 ? 12 : SCALAR_BYTES[elementType];
      if (minBytes === undefined) throw corrupt(`The model file is damaged: unknown value type ${elementType}.`, { type: elementType });
      const n = count('array elements', minBytes);
      if (!build && elementType !== 8 && elementType !== 9) {
        p += need(n * minBytes, 'an array');
        return [];
      }
      const out: GgufValue[] = [];
      for (let i = 0; i < n; i++) {
        const v = value(elementType, build, depth + 1);
        if (build) out.push(v);
      }
      return out;
    }
    if (SCALAR_BYTES[type] === undefined) throw corrupt(`The model file is damaged: unknown value type ${type}.`, { type });
    return scalar(type, build);
  };

  if (u32('the magic') !== 0x46554747) throw corrupt('Not a GGUF model file.');
  const version = u32('the version');
  if (version !== 2 && version !== 3) throw corrupt(`Unsupported GGUF version ${version} (2 and 3 are read).`, { version });
  const tensorCountRaw = u64('the tensor count');
  const kvCount = count('metadata entries', MIN_KV_BYTES);
  if (tensorCountRaw * BigInt(MIN_TENSOR_BYTES) > BigInt(fileSize - p))
    throw corrupt(`The model file is damaged: it declares ${tensorCountRaw} tensors, more than its ${fileSize} bytes can hold.`, { fileSize, declared: String(tensorCountRaw) });
  const tensorCount = Number(tensorCountRaw);

  const metadata = new Map<string, GgufValue>();
  const kvEntries: GgufHeader['entries'] = [];
  for (let i = 0; i < kvCount; i++) {
    const start = p;
    const key = string('a metadata key', true);
    const v = value(u32('a value type'), keep(key), 0);
    if (keep(key)) metadata.set(key, v);
    kvEntries.push({ key, start, end: p });
  }

  const entries: { name: string; dimensions: number[]; ggmlType: number; offset: bigint }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = string('a tensor name', true);
    const nDims = u32('a tensor rank');
    if (nDims > MAX_DIMS) throw corrupt(`The model file is damaged: a tensor of rank ${nDims}.`, { rank: nDims });
    const dimensions: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const dim = u64('a tensor dimension');
      if (dim > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('The model file is damaged: a tensor dimension out of range.');
      dimensions.push(Number(dim));
    }
    entries.push({ name, dimensions, ggmlType: u32('a tensor type'), offset: u64('a tensor offset') });
  }
  const headerBytes = p;
  const alignmentValue = metadata.get('general.alignment');
  const alignment = typeof alignmentValue === 'number' && alignmentValue > 0 ? alignmentValue : 32;
  const dataStart = Math.ceil(headerBytes / alignment) * alignment;
  const tensors = entries.map(({ offset, ...t }) => {
    if (offset > BigInt(fileSize)) throw corrupt(`The model file is incomplete: tensor ${t.name} starts past its end.`, { fileSize });
    return { ...t, fileOffset: dataStart + Number(offset) };
  });
  return { version, metadata, tensorCount, tensors, headerBytes, entries: kvEntries, alignment, dataStart };
}

/**
 * Read and parse the header of the GGUF file at `path`: reads 1 MB, then twice as much each time
 * the header goes on, up to GGUF_MAX_HEADER_BYTES; the signal is checked between reads.
 */
export async function readGgufHeader(path: string, keep: (key: string) => boolean, signal?: AbortSignal): Promise<GgufHeader> {
  const file = await open(path, 'r');
  try {
    const fileSize = (await file.stat()).size;
    let want = Math.min(fileSize, FIRST_READ_BYTES);
    for (;;) {
      signal?.throwIfAborted();
      const buf = new Uint8Array(want);
      const { bytesRead } = await file.read(buf, 0, want, 0);
      try {
        return parseGgufHeader(buf.subarray(0, bytesRead), bytesRead < want ? bytesRead : fileSize, keep);
      } catch (err) {
        if (!(err instanceof NeedMore)) throw err;
        if (want >= GGUF_MAX_HEADER_BYTES)
          throw corrupt(`The model file's header is larger than ${GGUF_MAX_HEADER_BYTES} bytes; this is not a model this app can read.`, { maxHeaderBytes: GGUF_MAX_HEADER_BYTES });
        want = Math.min(fileSize, GGUF_MAX_HEADER_BYTES, Math.max(err.bytes, want * 2));
      }
    }
  } finally {
    await file.close();
  }
}
