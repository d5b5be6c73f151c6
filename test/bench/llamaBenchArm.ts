// The llama.cpp baseline of `npm run bench:engine`: llama.cpp's own llama-bench, built from the
// llama.cpp source node-llama-cpp ships (test/tools/llamaCppTools.ts, cached by commit outside the
// clone), run on the same GGUF with the same threads, flash-attention setting and depth.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { llamaCppCommit, llamaCppToolPath, llamaCppToolsDir } from '../tools/llamaCppTools.ts';

const run = promisify(execFile);

export interface LlamaBenchTest {
  /** Tokens of prompt processing (0 for a generation test). */
  prompt: number;
  /** Tokens generated (0 for a prompt test). */
  gen: number;
  /** Tokens already in the context before the test. */
  depth: number;
  ubatch: number;
  flashAttention: boolean;
  tokS: number;
}

interface LlamaBenchJson {
  n_prompt: number;
  n_gen: number;
  n_depth?: number;
  n_ubatch: number;
  flash_attn: boolean | number | string;
  avg_ts: number;
}

export class LlamaBench {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** The cached llama-bench of the llama.cpp node-llama-cpp ships, or a sentence saying why there is none. */
  static locate(): LlamaBench | string {
    const path = llamaCppToolPath('llama-bench');
    if (path) return new LlamaBench(path);
    let where: string;
    try {
      where = `${llamaCppToolsDir()} (llama.cpp ${llamaCppCommit().slice(0, 12)})`;
    } catch (err) {
      where = `the llama.cpp tools cache (${err instanceof Error ? err.message : String(err)})`;
    }
    return `llama-bench is missing: no ${where}. Build it once with \`npm run tools:llama-cpp\` (node test/tools/llamaCppTools.ts), then run this again for the ratios against llama.cpp.`;
  }

  /** One llama-bench invocation; each list is a sweep llama-bench runs itself (its warm-up included). */
  async run(opts: { model: string; threads: number; prompt: number[]; gen: number[]; depth: number[]; flashAttention: boolean[]; repetitions: number; batchSize: number; ubatch?: number[] }): Promise<LlamaBenchTest[]> {
    const args = [
      ['-m', opts.model],
      ['-t', String(opts.threads)],
      ['-p', opts.prompt.join(',')],
      ['-n', opts.gen.join(',')],
      ['-d', opts.depth.join(',')],
      ['-fa', opts.flashAttention.map((f) => (f ? '1' : '0')).join(',')],
      ['-b', String(opts.batchSize)],
      ['-ub', (opts.ubatch ?? [opts.batchSize]).join(',')],
      ['-r', String(opts.repetitions)],
      ['-o', 'json'],
    ].flat();
    const { stdout } = await run(this.path, args, { maxBuffer: 16 * 1024 * 1024 });
    const rows = JSON.parse(stdout) as LlamaBenchJson[];
    return rows.map((r) => ({
      prompt: r.n_prompt,
      gen: r.n_gen,
      depth: r.n_depth ?? 0,
      ubatch: r.n_ubatch,
      flashAttention: r.flash_attn === true || r.flash_attn === 1 || r.flash_attn === 'on' || r.flash_attn === '1' || r.flash_attn === 'enabled',
      tokS: r.avg_ts,
    }));
  }
}
