// `npm run bench:vqgan`: the VQ-GAN tokenizer's speed and memory on the full-size architecture
// (../shared/fixtures/vqgan/full16), measured by `vqgan bench` in a fresh process so peak RSS is
// the tokenizer's own, plus how closely our preprocessing agrees with Meta's reference. The 3x3
// convs run as Winograd F(2x2, 3x3) (native/src/conv3x3.cpp); each round also times the direct
// kernel (CHAMELEON_VQGAN_CONV=direct) in turn, and the latent error of both against the golden
// latents is printed, so the speed-up and its cost in precision come from the same run.
// Prints numbers and ratios; asserts nothing (house style: benchmarks are not timed tests).
// Env: BENCH_RUNS (default 3), BENCH_THREADS (default 2: the thread count the reference was timed
// with, so the ratios compare like with like), BENCH_WEIGHTS (default full16).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { decodeWhitened, resizeAndCrop } from '../../main/images/preprocess.ts';
import type { Resampler } from '../../main/images/preprocess.ts';
import { VqganTokenizer } from '../../main/images/vqgan/vqgan.ts';

const here = import.meta.dirname;
const FIXTURES = path.resolve(here, '../../../shared/fixtures/vqgan');
const CLI = path.resolve(here, '../../main/images/vqganCli.ts');
const weights = process.env.BENCH_WEIGHTS ?? path.join(FIXTURES, 'full16', 'weights.safetensors');
const runs = process.env.BENCH_RUNS ?? '3';
const threads = process.env.BENCH_THREADS ?? '2';

// Meta's reference on a 2-vCPU machine (fixtures README §7 and §7.1)
const REF = { encode: 17_000, decode: 25_500 };
const REF_TUNED_MALLOC = { encode: 2_560, decode: 4_160 };

const fmt = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (a: number | null, b: number) => (a === null ? 'n/a' : `${(a / b).toFixed(2)}×`);

console.log(`cpu ${os.cpus()[0]?.model} × ${os.availableParallelism()}; weights ${path.relative(process.cwd(), weights)}; ${runs} runs${threads ? `; ${threads} threads` : ''}`);

// --- speed and memory, in a fresh process per run, the two conv kernels in turn -------------------
interface CliBench {
  backend: string;
  ms: { load: number; preprocess: number; encode: number; decode: number | null; encodeRuns: number[]; decodeRuns: number[] };
  peakRssMb: { beforeLoad: number; afterEncodes: number; end: number };
}
type Kernel = 'winograd' | 'direct';
const kernelEnv = (k: Kernel): NodeJS.ProcessEnv => (k === 'direct' ? { ...process.env, CHAMELEON_VQGAN_CONV: 'direct' } : { ...process.env, CHAMELEON_VQGAN_CONV: '' });
async function cliBench(kernel: Kernel): Promise<CliBench> {
  const args = [CLI, 'bench', '--weights', weights, '--image', path.join(FIXTURES, 'inputs', 'photo.jpg'), '--runs', '1', ...(threads ? ['--threads', threads] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, env: kernelEnv(kernel) });
  return JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as CliBench;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds: Record<Kernel, CliBench[]> = { winograd: [], direct: [] };
for (let i = 0; i < Number(runs); i++) {
  for (const k of (i % 2 === 0 ? ['winograd', 'direct'] : ['direct', 'winograd']) as Kernel[]) rounds[k].push(await cliBench(k));
  console.log(`round ${i}: ${(['winograd', 'direct'] as Kernel[]).map((k) => `${k} encode ${fmt(rounds[k].at(-1)!.ms.encode)} decode ${fmt(rounds[k].at(-1)!.ms.decode)}`).join(' | ')}; load average ${os.loadavg()[0]!.toFixed(1)}`);
}
const summary = (k: Kernel): { encode: number; decode: number | null; encodeRuns: number[]; decodeRuns: number[] } => {
  const enc = rounds[k].map((b) => b.ms.encode);
  const dec = rounds[k].map((b) => b.ms.decode).filter((d): d is number => d !== null);
  return { encode: median(enc), decode: dec.length ? median(dec) : null, encodeRuns: enc, decodeRuns: dec };
};
const bench = { ...rounds.winograd.at(-1)!, ms: { ...rounds.winograd.at(-1)!.ms, ...summary('winograd') } };
const direct = summary('direct');
const paired = (pick: (b: CliBench) => number | null): string => {
  const r = rounds.winograd.map((b, i) => {
    const a = pick(b);
    const d = pick(rounds.direct[i]!);
    return a === null || d === null ? NaN : d / a;
  });
  return `${median(r).toFixed(2)}×`;
};
const { ms } = bench;
console.log(`\nbackend ${bench.backend}`);
console.log(`load weights + build model   ${fmt(ms.load)} (once; later encodes reuse it)`);
console.log(`preprocess (photo.jpg)       ${fmt(ms.preprocess)} median`);
console.log(`encode 512² (encoder+quant)  ${fmt(ms.encode)} median of [${ms.encodeRuns.map((x) => fmt(x)).join(', ')}]`);
console.log(`decode 512² (+PNG)           ${fmt(ms.decode)} median of [${ms.decodeRuns.map((x) => fmt(x)).join(', ')}]`);
console.log(`peak RSS                     ${bench.peakRssMb.afterEncodes} MB after encodes (goal ≤ 1536), ${bench.peakRssMb.end} MB at the end`);
console.log(`ratio vs reference 17.0 s / 25.5 s (goal ≤ 0.5×):        encode ${ratio(ms.encode, REF.encode)}, decode ${ratio(ms.decode, REF.decode)}`);
console.log(`ratio vs reference with tuned malloc 2.56 s / 4.16 s:    encode ${ratio(ms.encode, REF_TUNED_MALLOC.encode)}, decode ${ratio(ms.decode, REF_TUNED_MALLOC.decode)}  (goal ≤ 0.5×: encode ≤ 1.3 s, decode ≤ 2.1 s)`);
console.log(`direct 3x3 kernel, same rounds:                          encode ${fmt(direct.encode)}, decode ${fmt(direct.decode)}; Winograd speed-up (per-round median) encode ${paired((b) => b.ms.encode)}, decode ${paired((b) => b.ms.decode)}`);

// --- precision of each kernel against the golden latents (narrow config) ------------------------
const LATENT = path.resolve(here, 'vqganLatentError.ts');
console.log('\npre-quant latents vs the reference (narrow golden config; the golden tests allow 1e-4), codes differing (of 1024; near-ties under a 1e-3 margin may flip)');
for (const k of ['winograd', 'direct'] as Kernel[]) {
  const { stdout: latent } = await promisify(execFile)(process.execPath, [LATENT], { maxBuffer: 1024 * 1024, env: { ...kernelEnv(k), BENCH_THREADS: threads } });
  const r = JSON.parse(latent.trimEnd().split('\n').at(-1)!) as Record<string, { maxAbs: number; maxRef: number; codesDiffer: number; differNearTie: number }>;
  console.log(`  ${k.padEnd(8)} ${Object.entries(r).map(([img, e]) => `${img} max |Δ| ${e.maxAbs.toExponential(2)} (of |x| ≤ ${e.maxRef.toFixed(2)}), codes differing ${e.codesDiffer} (${e.differNearTie} near-ties)`).join('; ')}`);
}

// --- preprocessing agreement --------------------------------------------------------------------
const images: [string, string][] = [
  ['gradient', 'gradient.png'],
  ['alpha', 'alpha.png'],
  ['photo', 'photo.jpg'],
];
console.log('\npreprocessing vs the reference resized pixels (mean |Δ|, max |Δ|, identical values)');
for (const t of [64, 512]) {
  for (const [name, file] of images) {
    const white = await decodeWhitened(path.join(FIXTURES, 'inputs', file));
    const ref = t === 64 ? readFileSync(path.join(FIXTURES, 'small', 'preproc', `${name}.resized.u8`)) : await sharp(path.join(FIXTURES, 'narrow', `${name}.resized.png`)).raw().toBuffer();
    const cells: string[] = [];
    for (const resampler of ['pillow', 'sharp'] as Resampler[]) {
      const t0 = performance.now();
      const out = await resizeAndCrop(white, t, resampler);
      const took = performance.now() - t0;
      let sum = 0;
      let max = 0;
      let same = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(out.data[i]! - ref[i]!);
        sum += d;
        max = Math.max(max, d);
        if (d === 0) same++;
      }
      cells.push(`${resampler.padEnd(6)} ${(sum / ref.length).toFixed(3)} / ${String(max).padStart(3)} / ${((same / ref.length) * 100).toFixed(2).padStart(6)} % (${took.toFixed(0)} ms)`);
    }
    console.log(`  T=${String(t).padEnd(3)} ${name.padEnd(8)} ${cells.join('   ')}`);
  }
}

// --- end-to-end codes with each resampler (narrow config: real 32×32 grid, fast) ---------------
const narrow = path.join(FIXTURES, 'narrow');
const tok = await VqganTokenizer.open(path.join(narrow, 'weights.safetensors'), threads ? { threads: Number(threads) } : {});
try {
  console.log('\nend-to-end codes vs the reference (narrow config, from the original files)');
  for (const [name, file] of images) {
    const refBytes = readFileSync(path.join(narrow, `${name}.codes.i32`));
    const ref = new Int32Array(refBytes.buffer.slice(refBytes.byteOffset, refBytes.byteOffset + refBytes.length));
    const cells: string[] = [];
    for (const resampler of ['pillow', 'sharp'] as Resampler[]) {
      const out = await tok.encodeImage(path.join(FIXTURES, 'inputs', file), { resampler });
      const same = out.codes.reduce((n, c, i) => n + (c === ref[i] ? 1 : 0), 0);
      cells.push(`${resampler} ${same}/1024 (${((same / 1024) * 100).toFixed(1)} %)`);
    }
    console.log(`  ${name.padEnd(8)} ${cells.join('   ')}`);
  }
} finally {
  tok.dispose();
}
