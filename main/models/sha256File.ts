// Streamed sha256 of a downloaded file with progress and cancel: the downloader checks only the
// size, so this is what proves the bytes are the ones the Hub's LFS metadata names.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256File(path: string, options: { signal?: AbortSignal; onProgress?: (hashed: number) => void } = {}): Promise<string> {
  const hash = createHash('sha256');
  let hashed = 0;
  const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    hashed += chunk.length;
    options.onProgress?.(hashed);
  }
  return hash.digest('hex');
}
