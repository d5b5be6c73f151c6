// The app's GGUF writer (format v3, github.com/ggml-org/ggml docs/gguf.md): encodes metadata
// entries and the tensor table into bytes, and lays tensor data out at the file's alignment. The
// transforms (image aliases, checkpoint conversion) write the header with it and then stream the
// tensor data themselves, so no whole model is ever held in memory.

export const GGUF_MAGIC = 0x46554747; // "GGUF"
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF value types (gguf.md `gguf_metadata_value_type`). */
const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10 } as const;

export type GgufEncodedValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'i32[]'; value: ArrayLike<number> }
  | { type: 'f32[]'; value: ArrayLike<number> };

export interface GgufTensorInfo {
  name: string;
  /** ggml order: ne[0], the contiguous row length, first */
  dims: readonly number[];
  ggmlType: number;
  /** bytes of the tensor's data (without padding) */
  bytes: number;
}

/** Little-endian bytes, grown as needed (headers are a few MB: a 73 728-token vocabulary). */
export class ByteSink {
  #buf = Buffer.alloc(1 << 16);
  #len = 0;

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#len++] = v;
  }
  u32(v: number): void {
    this.#room(4);
    this.#len = this.#buf.writeUInt32LE(v, this.#len);
  }
  i32(v: number): void {
    this.#room(4);
    this.#len = this.#buf.writeInt32LE(v, this.#len);
  }
  f32(v: number): void {
    this.#room(4);
    this.#len = this.#buf.writeFloatLE(v, this.#len);
  }
  u64(v: number): void {
    this.#room(8);
    this.#len = this.#buf.writeBigUInt64LE(BigInt(v), this.#len);
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  get length(): number {
    return this.#len;
  }
  result(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

function array(sink: ByteSink, elementType: number, n: number, each: (i: number) => void): void {
  sink.u32(T.ARRAY);
  sink.u32(elementType);
  sink.u64(n);
  for (let i = 0; i < n; i++) each(i);
}

/** One metadata entry (key, value type, value) as GGUF stores it. */
export function encodeEntry(key: string, v: GgufEncodedValue): Buffer {
  const s = new ByteSink();
  s.str(key);
  switch (v.type) {
    case 'u32': s.u32(T.U32); s.u32(v.value); break;
    case 'i32': s.u32(T.I32); s.i32(v.value); break;
    case 'f32': s.u32(T.F32); s.f32(v.value); break;
    case 'bool': s.u32(T.BOOL); s.u8(v.value ? 1 : 0); break;
    case 'string': s.u32(T.STRING); s.str(v.value); break;
    case 'string[]': { const a = v.value; array(s, T.STRING, a.length, (i) => s.str(a[i]!)); break; }
    case 'i32[]': { const a = v.value; array(s, T.I32, a.length, (i) => s.i32(a[i]!)); break; }
    case 'f32[]': { const a = v.value; array(s, T.F32, a.length, (i) => s.f32(a[i]!)); break; }
  }
  return s.result();
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export interface GgufLayout {
  /** the header, padded to the alignment: write it first */
  header: Buffer;
  /** where each tensor's data starts, relative to the end of the header */
  offsets: number[];
  /** the whole file's size (each tensor padded, the last one too) */
  fileBytes: number;
}

/**
 * The header for `entries` (already encoded, in order) and `tensors` (data in this order, each
 * padded to `alignment`). A `general.alignment` entry, if any, must say the same alignment.
 */
export function layoutGguf(entries: readonly Uint8Array[], tensors: readonly GgufTensorInfo[], alignment = GGUF_DEFAULT_ALIGNMENT): GgufLayout {
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(3);
  s.u64(tensors.length);
  s.u64(entries.length);
  for (const e of entries) s.bytes(e);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    s.str(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(d);
    s.u32(t.ggmlType);
    s.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + t.bytes, alignment);
  }
  while (s.length % alignment !== 0) s.u8(0);
  // every tensor, the last one too, is followed by padding to the alignment
  return { header: s.result(), offsets, fileBytes: s.length + offset };
}
