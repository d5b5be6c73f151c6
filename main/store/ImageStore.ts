// Attached images, content-addressed: the bytes are written once to
// <imagesDir>/<aa>/<sha256>.<ext> (temporary name + rename, so a file is either whole or absent)
// and then recorded in `images`; the VQ-GAN codes are cached in `image_codes` per weights hash.
// Shares ChatStore's one connection; all SQL for these tables lives here, prepared once.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { IMAGE_CODEBOOK_SIZE } from '../contract/chameleon.ts';
import { imageExtension } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';

export interface ImageMeta {
  mime: string;
  width: number;
  height: number;
}

export interface ImageRecord {
  sha256: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  createdAt: number;
}

interface ImageRow {
  sha256: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  created_at: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** int32 codes → little-endian int16 BLOB (codes are < 8192, so 2 bytes each is exact). */
export function packCodes(codes: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(codes.length * 2);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= IMAGE_CODEBOOK_SIZE) throw new AppError('vqgan.badCodes', `Code ${c} at ${i} is outside the codebook.`);
    out.writeInt16LE(c, i * 2);
  }
  return out;
}

export function unpackCodes(blob: Uint8Array): Int32Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Int32Array(blob.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

export class ImageStore {
  readonly #dir: string;
  readonly #now: () => number;
  readonly #insert: Statement;
  readonly #get: Statement;
  readonly #getCodes: Statement;
  readonly #putCodes: Statement;

  constructor(db: Database, imagesDir: string, now: () => number = Date.now) {
    this.#dir = imagesDir;
    this.#now = now;
    this.#insert = db.prepare('INSERT OR IGNORE INTO images (sha256, mime, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#get = db.prepare('SELECT sha256, mime, width, height, bytes, created_at FROM images WHERE sha256 = ?');
    this.#getCodes = db.prepare('SELECT codes FROM image_codes WHERE image_sha256 = ? AND weights_sha256 = ?').pluck();
    this.#putCodes = db.prepare('INSERT OR REPLACE INTO image_codes (image_sha256, weights_sha256, codes, created_at) VALUES (?, ?, ?, ?)');
  }

  /** Where an image's bytes live; the extension comes from its MIME type. */
  filePath(sha256: string, mime: string): string {
    return join(this.#dir, sha256.slice(0, 2), `${sha256}.${imageExtension(mime)}`);
  }

  /** Store bytes once; the same bytes again return the existing record (nothing rewritten). */
  put(bytes: Uint8Array, meta: ImageMeta): ImageRecord {
    const sha256 = sha256Hex(bytes);
    const existing = this.find(sha256);
    if (existing) return existing;
    const file = this.filePath(sha256, meta.mime);
    if (!existsSync(file)) {
      mkdirSync(join(this.#dir, sha256.slice(0, 2)), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
    }
    this.#insert.run(sha256, meta.mime, meta.width, meta.height, bytes.byteLength, this.#now());
    return this.get(sha256);
  }

  find(sha256: string): ImageRecord | undefined {
    const row = this.#get.get(sha256) as ImageRow | undefined;
    return row && { sha256: row.sha256, mime: row.mime, width: row.width, height: row.height, bytes: row.bytes, createdAt: row.created_at };
  }

  get(sha256: string): ImageRecord {
    const found = this.find(sha256);
    if (!found) throw new AppError('store.notFound', `No stored image ${sha256}.`, { imageHash: sha256 });
    return found;
  }

  read(sha256: string): Buffer {
    const record = this.get(sha256);
    try {
      return readFileSync(this.filePath(sha256, record.mime));
    } catch (err) {
      throw new AppError('store.notFound', `The file of image ${sha256} is missing from the data folder.`, { imageHash: sha256 }, { cause: err });
    }
  }

  codes(imageSha256: string, weightsSha256: string): Int32Array | undefined {
    const blob = this.#getCodes.get(imageSha256, weightsSha256) as Buffer | undefined;
    return blob ? unpackCodes(blob) : undefined;
  }

  putCodes(imageSha256: string, weightsSha256: string, codes: ArrayLike<number>): void {
    this.#putCodes.run(imageSha256, weightsSha256, packCodes(codes), this.#now());
  }
}
