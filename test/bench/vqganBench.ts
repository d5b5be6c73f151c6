// `npm run bench:vqgan`: the VQ-GAN tokenizer's speed and memory on the full-size architecture
// (../shared/fixtures/vqgan/full16), measured by `vqgan bench` in a fresh process so peak RSS is
// the tokenizer's own, plus how closely our preprocessing agrees with Meta's reference.
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

// --- speed and memory, in a fresh process ------------------------------------------------------
const args = [CLI, 'bench', '--weights', weights, '--image', path.join(FIXTURES, 'inputs', 'photo.jpg'), '--runs', runs, ...(threads ? ['--threads', threads] : [])];
const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
const bench = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as {
  backend: string;
  ms: { load: number; preprocess: number; encode: number; decode: number | null; encodeRuns: number[]; decodeRuns: number[] };
  peakRssMb: { beforeLoad: number; afterEncodes: number; end: number };
};
const { ms } = bench;
console.log(`\nbackend ${bench.backend}`);
console.log(`load weights + build model   ${fmt(ms.load)} (once; later encodes reuse it)`);
console.log(`preprocess (photo.jpg)       ${fmt(ms.preprocess)} median`);
console.log(`encode 512² (encoder+quant)  ${fmt(ms.encode)} median of [${ms.encodeRuns.map((x) => fmt(x)).join(', ')}]`);
console.log(`decode 512² (+PNG)           ${fmt(ms.decode)} median of [${ms.decodeRuns.map((x) => fmt(x)).join(', ')}]`);
console.log(`peak RSS                     ${bench.peakRssMb.afterEncodes} MB after encodes (goal ≤ 1536), ${bench.peakRssMb.end} MB at the end`);
console.log(`ratio vs reference 17.0 s / 25.5 s (goal ≤ 0.5×):        encode ${ratio(ms.encode, REF.encode)}, decode ${ratio(ms.decode, REF.decode)}`);
console.log(`ratio vs reference with tuned malloc 2.56 s / 4.16 s:    encode ${ratio(ms.encode, REF_TUNED_MALLOC.encode)}, decode ${ratio(ms.decode, REF_TUNED_MALLOC.decode)}`);

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
