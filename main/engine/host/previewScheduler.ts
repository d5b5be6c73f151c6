// Live previews of an image being generated: each offered grid (every row of 32 codes) replaces
// the one waiting, and a decode starts only when none is running and the decodes so far, plus the
// one about to start (priced at the last decode's duration), fit in `budget` of the time since
// the image began. A decode shares the cores with
// the sampler, so holding decodes to 10 % of the wall time keeps the slowdown of generation
// under 10 % by construction, whatever the machine or the decoder's size.
export interface PreviewSchedulerOptions<T> {
  /** Decodes one snapshot; rejections are dropped (a preview is never worth failing the answer). */
  decode: (snapshot: T) => Promise<void>;
  /** Fraction of wall time decodes may take (0.1 = 10 %). */
  budget?: number;
  /** What a decode is expected to cost before one was timed here (the host's last decode); 0: unknown. */
  expectedMs?: number;
  now?: () => number;
}

export class PreviewScheduler<T> {
  readonly #decode: (snapshot: T) => Promise<void>;
  readonly #budget: number;
  readonly #now: () => number;
  #pending: T | undefined;
  #running: Promise<void> | undefined;
  readonly #start: number;
  #spent = 0;
  #expected: number;
  /** How many decodes ran, how many snapshots were dropped for a newer one (stats, tests). */
  decodes = 0;
  superseded = 0;

  constructor(options: PreviewSchedulerOptions<T>) {
    this.#decode = options.decode;
    this.#budget = options.budget ?? 0.1;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#expected = options.expectedMs ?? 0;
  }

  /** The newest snapshot; decoded now if the budget allows, else kept until it does (or a newer one comes). */
  offer(snapshot: T): void {
    if (this.#pending !== undefined) this.superseded++;
    this.#pending = snapshot;
    this.#maybeStart();
  }

  /** Milliseconds spent decoding so far. */
  get spentMs(): number {
    return this.#spent;
  }

  #maybeStart(): void {
    if (this.#running || this.#pending === undefined) return;
    const now = this.#now();
    if (this.#spent + this.#expected > this.#budget * (now - this.#start)) return;
    const snapshot = this.#pending;
    this.#pending = undefined;
    this.decodes++;
    const t0 = now;
    this.#running = this.#decode(snapshot)
      .catch(() => undefined)
      .finally(() => {
        const took = this.#now() - t0;
        this.#spent += took;
        this.#expected = took;
        this.#running = undefined;
      });
  }

  /** Waits for the running decode and drops whatever was waiting (the final decode supersedes it). */
  async settle(): Promise<void> {
    if (this.#pending !== undefined) this.superseded++;
    this.#pending = undefined;
    await this.#running;
  }
}
