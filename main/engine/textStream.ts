// Turning sampled tokens into streamed text: UTF-8 safety across token boundaries and stop strings
// that may arrive split over several tokens. Pure logic, no llama.cpp.

const REPLACEMENT = '\uFFFD';
/** A UTF-8 character spans at most 4 bytes, so at most 4 byte-level tokens. */
const MAX_PENDING_TOKENS = 4;

/**
 * Holds tokens back while they decode to an incomplete UTF-8 sequence (a trailing U+FFFD), and
 * releases them once the character completes, so no delta ever carries half a character.
 */
export class IncrementalDecoder {
  readonly #detokenize: (tokens: number[]) => string;
  #pending: number[] = [];

  constructor(detokenize: (tokens: number[]) => string) {
    this.#detokenize = detokenize;
  }

  push(token: number): string {
    this.#pending.push(token);
    const text = this.#detokenize(this.#pending);
    if (text.endsWith(REPLACEMENT) && this.#pending.length < MAX_PENDING_TOKENS) return '';
    this.#pending = [];
    return text;
  }

  flush(): string {
    if (this.#pending.length === 0) return '';
    const text = this.#detokenize(this.#pending);
    this.#pending = [];
    return text;
  }
}

/**
 * Finds stop strings in streamed text. Text that could still be the start of a stop string is held
 * back until it is decided, so the client never sees part of a stop string.
 */
export class StopStringMatcher {
  readonly #stops: string[];
  #held = '';

  constructor(stops: readonly string[] = []) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  /** Returns the text safe to emit, and whether a stop string was found (text after it is dropped). */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.#stops.length === 0) return { emit: text, stopped: false };
    const buffer = this.#held + text;
    let cut = -1;
    for (const s of this.#stops) {
      const at = buffer.indexOf(s);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.#held = '';
      return { emit: buffer.slice(0, cut), stopped: true };
    }
    const hold = this.#longestPrefixSuffix(buffer);
    this.#held = buffer.slice(buffer.length - hold);
    return { emit: buffer.slice(0, buffer.length - hold), stopped: false };
  }

  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
  #longestPrefixSuffix(buffer: string): number {
    let best = 0;
    for (const s of this.#stops) {
      for (let n = Math.min(s.length - 1, buffer.length); n > best; n--) {
        if (buffer.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
