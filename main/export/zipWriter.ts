// A minimal streaming ZIP writer: stored (uncompressed) entries, CRC-32, sizes in a data
// descriptor after each entry so an entry can be streamed without knowing its size first, and the
// central directory at the end. No ZIP64: an archive over 4 GiB is refused (export.writeFailed).
import { AppError } from '../contract/errors.ts';
import type { ByteSink } from './fileSink.ts';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

interface Entry {
  name: Buffer;
  offset: number;
  crc: number;
  size: number;
}

const LIMIT = 0xffff_ffff;
// Bit 3: sizes and CRC follow the data; bit 11: the name is UTF-8.
const FLAGS = 0x0808;

function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: (Math.max(d.getFullYear() - 1980, 0) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export class ZipWriter {
  readonly #sink: ByteSink;
  readonly #entries: Entry[] = [];
  readonly #stamp: { time: number; date: number };
  #open: Entry | undefined;

  constructor(sink: ByteSink, modifiedAt: number) {
    this.#sink = sink;
    this.#stamp = dosDateTime(modifiedAt);
  }

  async begin(name: string): Promise<void> {
    if (this.#open) await this.end();
    const entry: Entry = { name: Buffer.from(name, 'utf8'), offset: this.#sink.bytes, crc: 0, size: 0 };
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4); // version needed: 2.0
    h.writeUInt16LE(FLAGS, 6);
    h.writeUInt16LE(0, 8); // stored
    h.writeUInt16LE(this.#stamp.time, 10);
    h.writeUInt16LE(this.#stamp.date, 12);
    h.writeUInt16LE(entry.name.length, 26);
    await this.#sink.write(h);
    await this.#sink.write(entry.name);
    this.#open = entry;
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    const entry = this.#open;
    if (!entry) throw new AppError('internal', 'ZipWriter.write outside an entry');
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    entry.crc = crc32(buf, entry.crc);
    entry.size += buf.byteLength;
    if (entry.size > LIMIT)
      throw new AppError('export.writeFailed', 'A file inside the archive is over 4 GiB.');
    await this.#sink.write(buf);
  }

  async end(): Promise<void> {
    const entry = this.#open;
    if (!entry) return;
    const d = Buffer.alloc(16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(entry.crc, 4);
    d.writeUInt32LE(entry.size, 8);
    d.writeUInt32LE(entry.size, 12);
    await this.#sink.write(d);
    this.#entries.push(entry);
    this.#open = undefined;
  }

  async finish(): Promise<void> {
    await this.end();
    const start = this.#sink.bytes;
    for (const e of this.#entries) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(20, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(FLAGS, 8);
      c.writeUInt16LE(0, 10);
      c.writeUInt16LE(this.#stamp.time, 12);
      c.writeUInt16LE(this.#stamp.date, 14);
      c.writeUInt32LE(e.crc, 16);
      c.writeUInt32LE(e.size, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(e.name.length, 28);
      c.writeUInt32LE(e.offset, 42);
      await this.#sink.write(c);
      await this.#sink.write(e.name);
    }
    const size = this.#sink.bytes - start;
    if (this.#sink.bytes > LIMIT || this.#entries.length > 0xffff)
      throw new AppError('export.writeFailed', 'The archive would be over 4 GiB or 65 535 files.');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.#entries.length, 8);
    end.writeUInt16LE(this.#entries.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    await this.#sink.write(end);
  }
}
