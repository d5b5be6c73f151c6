// `npm run bench:imagegen`: what one generated image costs on the engine host (issue 12), on the
// benchmark shape with image aliases (random weights: the cost is the plumbing's, not the art's).
// Per image: prefill, the 1024 guided decode steps and the preview decodes running meanwhile,
// with CFG (2 streams for a text-only prompt) and without (both scales 1: one stream), against
// plain text decoding of the same number of tokens; and the mixing/sampling step alone, in this
// process. Prints medians and ratios. Goals: CFG ≤ 1.3 × a single stream on CPU; mixing and
// sampling ≤ 2 ms per token. Env: BENCH_RUNS (default 3), BENCH_THREADS (default: the engine's),
// BENCH_IMAGEGEN_MODEL=tiny (the small test model, for a quick check that it runs).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_CODEBOOK_SIZE } from '../../main/contract/chameleon.ts';
import type { GenerateRequestInput, GenerationResult } from '../../main/contract/engine.ts';
import { EngineClient } from '../../main/engine/engineClient.ts';
import { defaultThreads } from '../../main/engine/host/llamaRuntime.ts';
import { mixGuidance, sampleLogits, SeededRng } from '../../main/engine/imageSampler.ts';
import { forkLauncher } from '../../main/engine/launchers/forkLauncher.ts';
import { aliasedChameleonGguf, benchAliasedChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { median } from './benchStats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 3);
// Without a Llama instance the physical cores are unknown: the logical count stands in (the host's rule, no SMT).
const threads = Number(process.env.BENCH_THREADS ?? defaultThreads(os.availableParallelism()));
const tiny = process.env.BENCH_IMAGEGEN_MODEL === 'tiny';
const WEIGHTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/vqgan/narrow/weights.safetensors');
const turns = [{ role: 'user' as const, segments: [{ type: 'text' as const, text: 'draw the old house by the river under a dark sky' }] }];

console.log('generating/locating the model …');
const modelPath = tiny ? aliasedChameleonGguf() : benchAliasedChameleonGguf();
console.log(`model: ${path.basename(modelPath)}; threads ${threads}; ${runs} runs; previews with the narrow VQ-GAN fixture; cpu ${os.cpus()[0]?.model} × ${os.availableParallelism()}`);

const engine = new EngineClient({ launcher: forkLauncher() });
await engine.load({ modelPath, contextSize: 4096, threads });

interface Row {
  prefill: number;
  steps: number;
  previews: number;
  previewCount: number;
  finalDecode: number;
  total: number;
  streams: number;
}

async function image(i: number, guided: boolean): Promise<Row> {
  const request: GenerateRequestInput = {
    sessionId: `bench-${i}`,
    turns,
    mode: 'image',
    vqganWeightsPath: WEIGHTS,
    sampling: { seed: 100 + i },
    imageSampling: guided ? {} : { guidanceText: 1, guidanceImage: 1 },
  };
  const r: GenerationResult = await engine.generate(request);
  const img = r.images![0]!;
  return { prefill: r.timings.promptMs, steps: img.ms!.steps, previews: img.ms!.previews, previewCount: img.ms!.previewCount, finalDecode: img.ms!.finalDecode, total: r.timings.totalMs, streams: img.streams ?? 0 };
}

/** Plain text decoding of 1024 tokens (EOS cannot end it early: the answer is cut at maxTokens). */
async function plain(i: number): Promise<number> {
  const r = await engine.generate({ sessionId: `plain-${i}`, turns, sampling: { seed: 200 + i, maxTokens: 1024, temperature: 1.5, topP: 1, repeatPenalty: 1 } });
  return (r.timings.totalMs - r.timings.firstTokenMs) / Math.max(1, r.usage.completionTokens - 1);
}

const withCfg: Row[] = [];
const without: Row[] = [];
const plainPerToken: number[] = [];
for (let i = 0; i < runs; i++) {
  // Rotate the order so no arm always runs on a warm or a cold machine.
  const arms = [async () => withCfg.push(await image(i, true)), async () => without.push(await image(i, false)), async () => plainPerToken.push(await plain(i))];
  for (let k = 0; k < arms.length; k++) await arms[(k + i) % arms.length]!();
  process.stdout.write('.');
}
process.stdout.write('\n');
await engine.dispose();

// The mix + temperature + top-p + draw over 8192 codes, alone (what our code adds per token).
const rng = new SeededRng(1);
const streams = [0, 1, 2].map(() => Float64Array.from({ length: IMAGE_CODEBOOK_SIZE }, () => Math.log(rng.next() + 1e-9)));
const out = new Float64Array(IMAGE_CODEBOOK_SIZE);
const t0 = performance.now();
const mixes = 300;
for (let k = 0; k < mixes; k++) sampleLogits(mixGuidance(streams[0]!, streams[1]!, streams[2]!, { text: 3, image: 1.2 }, out), 0.7, 0.9, rng);
const mixMs = (performance.now() - t0) / mixes;

const med = (rows: Row[], key: keyof Row): number => median(rows.map((r) => r[key]));
const fmt = (ms: number): string => `${ms.toFixed(0).padStart(7)} ms`;
for (const [name, rows] of [['with CFG', withCfg], ['without CFG', without]] as const) {
  console.log(
    `${name.padEnd(12)} (${med(rows, 'streams')} stream${med(rows, 'streams') === 1 ? '' : 's'}): prefill ${fmt(med(rows, 'prefill'))} · 1024 steps ${fmt(med(rows, 'steps'))} (${(med(rows, 'steps') / 1024).toFixed(2)} ms/token) · previews ${fmt(med(rows, 'previews'))} (${med(rows, 'previewCount')} decodes, overlapping the steps) · final decode ${fmt(med(rows, 'finalDecode'))} · total ${fmt(med(rows, 'total'))}`,
  );
}
const plainMs = median(plainPerToken);
const cfgPerToken = med(withCfg, 'steps') / 1024;
const singlePerToken = med(without, 'steps') / 1024;
console.log(`plain text decoding: ${plainMs.toFixed(2)} ms/token`);
console.log(`ratio CFG / single stream, per image token: ${(cfgPerToken / singlePerToken).toFixed(2)} (goal ≤ 1.30)`);
console.log(`overhead per image token over plain decoding: with CFG ${(cfgPerToken - plainMs).toFixed(2)} ms (${(cfgPerToken / plainMs).toFixed(2)}×), without ${(singlePerToken - plainMs).toFixed(2)} ms (${(singlePerToken / plainMs).toFixed(2)}×)`);
console.log(`mix + sample alone: ${mixMs.toFixed(2)} ms per token (goal ≤ 2 ms)`);
console.log(`preview share of the decode steps' wall time: ${((100 * med(withCfg, 'previews')) / med(withCfg, 'steps')).toFixed(1)} % (budget 10 %)`);
