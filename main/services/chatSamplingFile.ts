// Per-chat sampling overrides, kept in one small JSON file in the data dir (`chat-sampling.json`),
// keyed by conversation id. Written atomically; an unreadable file is a coded error, not a reset.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SamplingOverridesSchema, type SamplingOverrides } from '../contract/engine.ts';
import { AppError } from '../contract/errors.ts';

export const CHAT_SAMPLING_FILE_NAME = 'chat-sampling.json';
const FileSchema = z.record(z.string().regex(/^\d+$/), SamplingOverridesSchema);

export class ChatSamplingFile {
  readonly path: string;
  #entries: Record<string, SamplingOverrides>;

  constructor(dataDir: string) {
    this.path = join(dataDir, CHAT_SAMPLING_FILE_NAME);
    this.#entries = this.#read();
  }

  get(conversationId: number): SamplingOverrides | null {
    return this.#entries[String(conversationId)] ?? null;
  }

  set(conversationId: number, sampling: SamplingOverrides | null): void {
    const next = { ...this.#entries };
    if (sampling === null || Object.keys(sampling).length === 0) delete next[String(conversationId)];
    else next[String(conversationId)] = sampling;
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.#entries = next;
  }

  #read(): Record<string, SamplingOverrides> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new AppError('settings.invalid', `Could not read ${this.path}: ${(err as Error).message}`, { path: this.path });
    }
    try {
      return FileSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new AppError('settings.invalid', `The per-chat sampling file ${this.path} is invalid: ${(err as Error).message}`, { path: this.path });
    }
  }
}
