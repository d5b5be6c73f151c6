// Writing an export to disk: chunks go through one fs stream with backpressure (a 10 000-message
// chat never sits in memory whole), into `<dest>.partial`, renamed into place only when complete,
// so a cancelled or failed export leaves no half file behind.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { AppError } from '../contract/errors.ts';

export interface ByteSink {
  write(chunk: string | Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
}

export class FileSink implements ByteSink {
  readonly #dest: string;
  readonly #partial: string;
  readonly #stream: WriteStream;
  readonly #signal: AbortSignal | undefined;
  #bytes = 0;
  #error: Error | undefined;

  constructor(dest: string, signal?: AbortSignal) {
    this.#dest = dest;
    this.#partial = `${dest}.partial`;
    this.#signal = signal;
    this.#stream = createWriteStream(this.#partial);
    this.#stream.on('error', (err) => (this.#error = err));
  }

  get bytes(): number {
    return this.#bytes;
  }

  get path(): string {
    return this.#dest;
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.#signal?.aborted) throw new AppError('export.cancelled', 'The export was cancelled.');
    if (this.#error) throw this.#writeFailed(this.#error);
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#bytes += buf.byteLength;
    if (!this.#stream.write(buf)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
      });
    }
  }

  /** Flush, close and move the file into place. */
  async commit(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#stream.end((err?: Error | null) => (err ? reject(this.#writeFailed(err)) : resolve())),
    );
    if (this.#error) throw this.#writeFailed(this.#error);
    await rename(this.#partial, this.#dest);
  }

  /** Close and delete the partial file (after a cancel or an error). */
  async discard(): Promise<void> {
    await new Promise<void>((resolve) => this.#stream.end(() => resolve()));
    await rm(this.#partial, { force: true });
  }

  #writeFailed(err: Error): AppError {
    return new AppError(
      'export.writeFailed',
      `Could not write the export: ${err.message}`,
      { path: this.#dest },
      { cause: err },
    );
  }
}
