// Shared by the fuzz targets: how many cases to run, and one tally per target of what each case
// ended in. A case may return or throw an AppError whose code the target allows; anything else
// (a TypeError, a RangeError, an unknown code) fails the property and fast-check shrinks it.
// `npm test` runs a CI-sized, fixed-seed pass; `npm run fuzz` runs FUZZ_RUNS cases per target
// with a fresh seed (FUZZ_SEED repeats one) and prints the figures.
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'vitest';
import { AppError, ERROR_CODES, type ErrorCode } from '../../main/contract/errors.ts';

/** `npm run fuzz` without FUZZ_RUNS runs this many cases per target. */
const LONG_RUNS = 20_000;
const envRuns = Number(process.env.FUZZ_RUNS);
const long = (Number.isInteger(envRuns) && envRuns > 0) || process.env.npm_lifecycle_event === 'fuzz';
/** The number of cases for a target: FUZZ_RUNS, or LONG_RUNS under `npm run fuzz`, else the target's CI size. */
export function fuzzRuns(ciRuns: number): number {
  if (Number.isInteger(envRuns) && envRuns > 0) return envRuns;
  return long ? LONG_RUNS : ciRuns;
}
/** Fixed in CI (a failure repeats); fresh for long runs, printed so a failure can be replayed. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED) || (long ? Date.now() % 2 ** 31 : 20261201);

/** Most a target's cases may leave on the heap, after a full GC: parsers must not accumulate. */
export const RETAINED_BOUND_BYTES = 64 * 2 ** 20;
/** Most the resident set may grow during a target (garbage not yet collected included). */
export const PEAK_BOUND_BYTES = 1536 * 2 ** 20;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const retainedHeap = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};

export class FuzzTally {
  readonly #allowed: ReadonlySet<ErrorCode>;
  readonly #byCode = new Map<string, number>();
  #cases = 0;
  #slowestMs = 0;
  readonly #started = performance.now();
  readonly #heapAtStart = retainedHeap();
  readonly #rssAtStart = process.memoryUsage().rss;
  #peakRss = this.#rssAtStart;

  readonly #retainedBound: number;

  constructor(allowed: readonly ErrorCode[], retainedBound = RETAINED_BOUND_BYTES) {
    this.#allowed = new Set(allowed);
    this.#retainedBound = retainedBound;
  }

  /** Runs one case; an allowed AppError is an outcome, everything else is rethrown as a failure. */
  async run(target: () => unknown): Promise<void> {
    const t = performance.now();
    let outcome = 'ok';
    try {
      await target();
    } catch (err) {
      if (!(err instanceof AppError) || !ERROR_CODES.includes(err.code)) throw err;
      if (!this.#allowed.has(err.code)) throw new Error(`unexpected code ${err.code}: ${err.message}`, { cause: err });
      outcome = err.code;
    } finally {
      this.#cases++;
      this.#slowestMs = Math.max(this.#slowestMs, performance.now() - t);
      const rss = process.memoryUsage().rss;
      this.#peakRss = Math.max(this.#peakRss, rss);
    }
    this.#byCode.set(outcome, (this.#byCode.get(outcome) ?? 0) + 1);
  }

  /** Prints the figures and checks the memory bounds. */
  report(name: string): void {
    const ms = performance.now() - this.#started;
    const retained = retainedHeap() - this.#heapAtStart;
    const codes = [...this.#byCode].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
    const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
    console.log(
      `fuzz ${name}: ${this.#cases} cases in ${(ms / 1000).toFixed(1)} s (slowest ${this.#slowestMs.toFixed(0)} ms), seed ${FUZZ_SEED}, ` +
        `peak RSS ${mb(this.#peakRss)} MB (+${mb(this.#peakRss - this.#rssAtStart)}), heap retained +${mb(Math.max(0, retained))} MB, outcomes: ${codes}`,
    );
    expect(retained).toBeLessThan(this.#retainedBound);
    expect(this.#peakRss - this.#rssAtStart).toBeLessThan(PEAK_BOUND_BYTES);
  }
}

/** Runs the property over `arb` with the tally; every case must end in an allowed outcome. */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  ciRuns: number,
  allowed: readonly ErrorCode[],
  target: (value: T) => unknown,
  options: { retainedBound?: number } = {},
): Promise<void> {
  const tally = new FuzzTally(allowed, options.retainedBound);
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      await tally.run(() => target(value));
    }),
    { numRuns: fuzzRuns(ciRuns), seed: FUZZ_SEED },
  );
  tally.report(name);
}

/** Random edits of a valid input: byte overwrites, a cut, an insertion: near-misses find more than noise. */
export function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
    fc.record({ kind: fc.constant('ff' as const), at: fc.nat(), byte: fc.constant(0xff) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 8 }).map((edits) => {
    let out = Uint8Array.from(base);
    for (const e of edits) {
      if (out.length === 0) break;
      const at = e.at % out.length;
      if (e.kind === 'cut') out = out.subarray(0, at);
      else if (e.kind === 'ff') out.fill(0xff, at, Math.min(out.length, at + 8));
      else out[at] = e.byte;
    }
    return out;
  });
}

/** Random edits of a valid JSON value: a node anywhere in it replaced by any JSON (or an odd number). */
export function jsonMutated(base: unknown): fc.Arbitrary<unknown> {
  const odd = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 1e308, -1e308, 0.5, '', '\u0000', 'x'.repeat(300), [], {}, null));
  return fc.array(fc.tuple(fc.nat(), odd, fc.boolean()), { minLength: 1, maxLength: 4 }).map((edits) => {
    const root = { v: structuredClone(base) as unknown };
    for (const [pick, value, drop] of edits) {
      const slots: [Record<string, unknown> | unknown[], string | number][] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach((child, i) => (slots.push([node, i]), walk(child)));
        else if (node && typeof node === 'object')
          for (const [k, child] of Object.entries(node)) {
            slots.push([node as Record<string, unknown>, k]);
            walk(child);
          }
      };
      walk(root);
      if (slots.length === 0) break;
      const [parent, key] = slots[pick % slots.length]!;
      if (drop && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key as string];
      else (parent as Record<string | number, unknown>)[key] = value;
    }
    return root.v;
  });
}
