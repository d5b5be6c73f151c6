// Token deltas arrive far faster than the screen refreshes. Re-rendering markdown per token would
// cost a layout per token; instead deltas are buffered and handed to the UI at most once per
// frame (house style rule 6). The scheduler is injected: requestAnimationFrame in the browser,
// a manual queue in tests.

export type FrameScheduler = (callback: () => void) => void;

export class DeltaCoalescer {
  readonly #schedule: FrameScheduler;
  readonly #onFlush: (text: string) => void;
  #pending = '';
  #scheduled = false;
  #closed = false;

  constructor(schedule: FrameScheduler, onFlush: (text: string) => void) {
    this.#schedule = schedule;
    this.#onFlush = onFlush;
  }

  get pending(): string {
    return this.#pending;
  }

  push(delta: string): void {
    if (this.#closed || delta === '') return;
    this.#pending += delta;
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Hand over whatever is buffered now (end of stream, stop, error). */
  flush(): void {
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#onFlush(text);
  }

  /** Flush and ignore later deltas (a frame callback that still fires is harmless). */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
