// What one benchmark run measures, and the medians `npm run bench:engine` prints from them.

export interface Sample {
  /** The whole Chameleon prompt (BOS … EOT), as the engine built it. */
  promptTokens: number;
  /** Prompt tokens evaluated this run; the rest came from the KV cache. */
  evaluatedTokens: number;
  /** From the call (request, IPC message or evaluate) to the first generated text. */
  firstTokenMs: number;
  promptTokS: number;
  /** Tokens after the first, over the time from the first to the last. */
  decodeTokS: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Medians {
  promptTokS: number;
  decodeTokS: number;
  firstTokenMs: number;
}

export function medians(samples: readonly Sample[]): Medians {
  return {
    promptTokS: median(samples.map((s) => s.promptTokS)),
    decodeTokS: median(samples.map((s) => s.decodeTokS)),
    firstTokenMs: median(samples.map((s) => s.firstTokenMs)),
  };
}

export function medianRow(name: string, samples: readonly Sample[]): string {
  const m = medians(samples);
  const first = samples[0]!;
  return `${name.padEnd(8)} prompt ${m.promptTokS.toFixed(1).padStart(8)} tok/s   decode ${m.decodeTokS.toFixed(2).padStart(7)} tok/s   first token ${m.firstTokenMs.toFixed(1).padStart(7)} ms   (${first.promptTokens} prompt tokens, ${first.evaluatedTokens} evaluated)`;
}

/** Decode ratio and first-token overhead of an arm against the in-process baseline, with the goals. */
export function ratioLine(name: string, arm: readonly Sample[], direct: readonly Sample[]): string {
  const a = medians(arm);
  const d = medians(direct);
  const decode = a.decodeTokS / d.decodeTokS;
  const overhead = a.firstTokenMs - d.firstTokenMs;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  return `${`${name}/direct:`.padEnd(15)} prompt ${(a.promptTokS / d.promptTokS).toFixed(3)}, decode ${decode.toFixed(3)} (goal ≥ 0.97: ${verdict(decode >= 0.97)}); first-token overhead ${overhead.toFixed(1)} ms (goal ≤ 30 ms: ${verdict(overhead <= 30)})`;
}

/**
 * The same comparison paired by round (each arm ran the same prompt back to back): the median of
 * per-round ratios and differences, which cancels load that other processes put on the machine
 * for the length of a round better than a ratio of medians does.
 */
export function pairedLine(name: string, arm: readonly Sample[], direct: readonly Sample[]): string {
  const decode = median(arm.map((s, i) => s.decodeTokS / direct[i]!.decodeTokS));
  const overhead = median(arm.map((s, i) => s.firstTokenMs - direct[i]!.firstTokenMs));
  return `${`${name}/direct:`.padEnd(15)} decode ${decode.toFixed(3)}, first-token overhead ${overhead.toFixed(1)} ms (median of per-round ratios and differences)`;
}

/**
 * Fastest run of each arm (highest decode rate, shortest first token). Background load only ever
 * slows a run down, so on a busy machine the best runs are the closest to the uncontended cost.
 */
export function bestLine(name: string, arm: readonly Sample[], direct: readonly Sample[]): string {
  const best = (s: readonly Sample[]): { decode: number; first: number } => ({
    decode: Math.max(...s.map((x) => x.decodeTokS)),
    first: Math.min(...s.map((x) => x.firstTokenMs)),
  });
  const a = best(arm);
  const d = best(direct);
  return `${`${name}/direct:`.padEnd(15)} decode ${(a.decode / d.decode).toFixed(3)} (${a.decode.toFixed(2)} vs ${d.decode.toFixed(2)} tok/s), first-token overhead ${(a.first - d.first).toFixed(1)} ms (${a.first.toFixed(1)} vs ${d.first.toFixed(1)} ms) (fastest runs)`;
}
