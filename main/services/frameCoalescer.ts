// Token deltas arrive one by one; the UI only needs them once per frame (house style rule 6).
// Text pushed within one interval goes out as one fragment; flush() sends what is left at once.
export const FRAME_MS = 16;

export class FrameCoalescer {
  readonly #emit: (text: string) => void;
  readonly #intervalMs: number;
  #pending: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(emit: (text: string) => void, intervalMs: number = FRAME_MS) {
    this.#emit = emit;
    this.#intervalMs = intervalMs;
  }

  push(text: string): void {
    if (text === '') return;
    this.#pending.push(text);
    if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#emit(text);
  }
}
