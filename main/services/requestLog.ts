// The local API server's last requests, for the server panel: method, path (query dropped: it
// may carry a key), status, duration, time. Never bodies, headers or keys. A fixed-size ring, so
// a busy client costs a bounded amount of memory.
import type { RequestLogEntry } from '../contract/api.ts';

export const REQUEST_LOG_SIZE = 50;

export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  readonly #size: number;

  constructor(size = REQUEST_LOG_SIZE) {
    this.#size = size;
  }

  add(entry: RequestLogEntry): void {
    const path = entry.path.split(/[?#]/, 1)[0] ?? '';
    this.#entries.push({ method: entry.method, path, status: entry.status, durationMs: entry.durationMs, at: entry.at });
    if (this.#entries.length > this.#size) this.#entries.shift();
  }

  /** Newest first. */
  list(): RequestLogEntry[] {
    return [...this.#entries].reverse();
  }
}
