// A file written under `<target>.part` and renamed to its final name only once complete, so a crash,
// a cancel or a failure never leaves a half-written model under the name the app would load.
// Writes are positioned (the caller lays the file out), progress counts the bytes written, and
// the abort signal is checked before each write.
import { open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../../contract/errors.ts';

export class PartFile {
  readonly target: string;
  readonly path: string;
  readonly #fh: FileHandle;
  readonly #signal: AbortSignal | undefined;
  readonly #onWritten: (bytes: number) => void;
  #closed = false;

  private constructor(target: string, fh: FileHandle, signal: AbortSignal | undefined, onWritten: (bytes: number) => void) {
    this.target = target;
    this.path = `${target}.part`;
    this.#fh = fh;
    this.#signal = signal;
    this.#onWritten = onWritten;
  }

  /** Refuses to replace an existing file: the user chose another name or already has it. */
  static async create(target: string, signal: AbortSignal | undefined, onWritten: (bytes: number) => void = () => {}): Promise<PartFile> {
    if (await stat(target).then(() => true, () => false)) {
      throw new AppError('models.alreadyInstalled', `${target} exists already; it is not overwritten.`, { path: target });
    }
    return new PartFile(target, await open(`${target}.part`, 'w'), signal, onWritten);
  }

  throwIfCancelled(): void {
    if (this.#signal?.aborted) throw new AppError('models.cancelled', 'The model transform was cancelled; nothing was kept.');
  }

  async write(bytes: Uint8Array, position: number): Promise<void> {
    this.throwIfCancelled();
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#fh.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
    this.#onWritten(bytes.length);
  }

  /** Sets the final size (trailing padding), flushes and closes; the file keeps its `.part` name. */
  async finish(size: number): Promise<void> {
    this.throwIfCancelled();
    await this.#fh.truncate(size);
    await this.#fh.sync();
    await this.#fh.close();
    this.#closed = true;
  }

  /** After finish(): the file takes its final name. */
  async commit(): Promise<void> {
    await rename(this.path, this.target);
  }

  /** On any failure: closes and deletes the partial file. */
  async discard(): Promise<void> {
    if (!this.#closed) await this.#fh.close().catch(() => undefined);
    this.#closed = true;
    await rm(this.path, { force: true });
  }
}

/** Copies `length` bytes from `source` at `from` into `part` at `to`, a chunk at a time. */
export async function copyRange(source: FileHandle, from: number, length: number, part: PartFile, to: number, chunkBytes = 16 * 1024 * 1024): Promise<void> {
  const buf = new Uint8Array(Math.min(chunkBytes, Math.max(length, 1)));
  let done = 0;
  while (done < length) {
    const n = Math.min(buf.length, length - done);
    const { bytesRead } = await source.read(buf, 0, n, from + done);
    if (bytesRead === 0) throw new AppError('model.corrupt', 'The source model file ended early while it was being copied.', { at: from + done });
    await part.write(buf.subarray(0, bytesRead), to + done);
    done += bytesRead;
  }
}
