// A small read-only zip reader over a file handle: enough for PyTorch checkpoints (stored entries,
// zip64 when the archive is large) plus deflate via node:zlib. Entry data is read by byte range,
// so only the storages we need are ever loaded.
import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { AppError } from '../../../contract/errors.ts';
import { readExactly } from './safetensors.ts';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function bad(file: string, why: string): AppError {
  return new AppError('vqgan.weightsInvalid', `${file} is not a readable zip checkpoint: ${why}`, { file });
}

function u64(v: DataView, at: number): number {
  return Number(v.getBigUint64(at, true));
}

export class ZipReader {
  readonly entries: Map<string, ZipEntry>;
  #fh: FileHandle;
  #file: string;

  private constructor(fh: FileHandle, file: string, entries: Map<string, ZipEntry>) {
    this.#fh = fh;
    this.#file = file;
    this.entries = entries;
  }

  static async open(fh: FileHandle, file: string, size: number): Promise<ZipReader> {
    // the end-of-central-directory record sits in the last 22 + 65535 (comment) bytes
    const tailLen = Math.min(size, 22 + 65535 + 20);
    const tail = await readExactly(fh, size - tailLen, tailLen, file);
    const tv = new DataView(tail.buffer);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw bad(file, 'no end-of-central-directory record');
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20 && tv.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
      const at = u64(tv, eocd - 20 + 8);
      const rec = new DataView((await readExactly(fh, at, 56, file)).buffer);
      if (rec.getUint32(0, true) !== EOCD64) throw bad(file, 'broken zip64 end record');
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
    if (cdOffset + cdSize > size) throw bad(file, 'central directory outside the file');
    const cd = await readExactly(fh, cdOffset, cdSize, file);
    const v = new DataView(cd.buffer);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    const utf8 = new TextDecoder();
    for (let n = 0; n < count; n++) {
      if (p + 46 > cdSize || v.getUint32(p, true) !== CENTRAL) throw bad(file, `central directory entry ${n} is broken`);
      const method = v.getUint16(p + 10, true);
      let compressedSize = v.getUint32(p + 20, true);
      let uncompressed = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let localHeaderOffset = v.getUint32(p + 42, true);
      // Name, extra and comment must lie inside the directory (fuzzing found reads past its end).
      if (p + 46 + nameLen + extraLen + commentLen > cdSize) throw bad(file, `central directory entry ${n} is broken`);
      const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
      // zip64 extended information: present fields appear in this fixed order
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = v.getUint16(e, true);
        const len = v.getUint16(e + 2, true);
        if (e + 4 + len > extraEnd) throw bad(file, `central directory entry ${n} has a broken extra field`);
        if (id === 0x0001) {
          const fields = (uncompressed === 0xffffffff ? 1 : 0) + (compressedSize === 0xffffffff ? 1 : 0) + (localHeaderOffset === 0xffffffff ? 1 : 0);
          if (8 * fields > len) throw bad(file, `central directory entry ${n} has a short zip64 field`);
          let q = e + 4;
          if (uncompressed === 0xffffffff) {
            uncompressed = u64(v, q);
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = u64(v, q);
            q += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(v, q);
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, compressedSize, size: uncompressed, localHeaderOffset });
      p = extraEnd + commentLen;
    }
    return new ZipReader(fh, file, entries);
  }

  /** Read `length` bytes at `offset` inside an entry's uncompressed data. */
  async read(entry: ZipEntry, offset = 0, length = entry.size - offset): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > entry.size) throw bad(this.#file, `range outside entry ${entry.name}`);
    const head = new DataView((await readExactly(this.#fh, entry.localHeaderOffset, 30, this.#file)).buffer);
    if (head.getUint32(0, true) !== LOCAL) throw bad(this.#file, `local header of ${entry.name} is broken`);
    const dataStart = entry.localHeaderOffset + 30 + head.getUint16(26, true) + head.getUint16(28, true);
    if (entry.method === 0) return readExactly(this.#fh, dataStart + offset, length, this.#file);
    if (entry.method === 8) {
      // Deflate expands at most ~1032:1; a larger declared size is a lie, and inflating is capped at
      // the declared size, so a zip bomb costs no more memory than the entry claims.
      if (entry.size > entry.compressedSize * 1032 + 1024) throw bad(this.#file, `entry ${entry.name} declares an impossible size`);
      const raw = await readExactly(this.#fh, dataStart, entry.compressedSize, this.#file);
      let all: Uint8Array;
      try {
        all = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        throw bad(this.#file, `entry ${entry.name} does not inflate: ${(err as Error).message}`);
      }
      if (all.length !== entry.size) throw bad(this.#file, `entry ${entry.name} inflates to ${all.length} bytes, expected ${entry.size}`);
      return all.subarray(offset, offset + length);
    }
    throw bad(this.#file, `entry ${entry.name} uses compression method ${entry.method}`);
  }
}
