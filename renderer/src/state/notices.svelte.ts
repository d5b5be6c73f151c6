// The global error banner above the chat: one coded error at a time, replaced by the next and
// cleared by the user or when the next answer starts. Its own owner, so the engine, the chat and
// the settings all report through the same door instead of writing each other's fields.
import type { ErrorData } from '../../../main/contract/errors.ts';

export class Notices {
  #current = $state.raw<ErrorData | undefined>(undefined);

  get current(): ErrorData | undefined {
    return this.#current;
  }

  report(error: ErrorData): void {
    this.#current = error;
  }

  /** Clear the banner; with `when`, only if the error showing matches (a newer one stays). */
  clear(when?: (error: ErrorData) => boolean): void {
    if (this.#current && (!when || when(this.#current))) this.#current = undefined;
  }
}
