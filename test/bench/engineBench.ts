// `npm run bench:engine`: what the host process costs. Same benchmark GGUF, same prompt length,
// same sampler settings and thread count, alternating runs of
//   host:   EngineClient → forked host process → node-llama-cpp (what the app and server use)
//   direct: node-llama-cpp in this process, no IPC, no prompt builder
// and prints medians and ratios. Goals (issue 2): decode ratio ≥ 0.97, first-token overhead ≤ 30 ms.
// Env: BENCH_RUNS (default 7), BENCH_THREADS (default: the engine's default), BENCH_DECODE (64).
import os from 'node:os';
import { getLlama, TokenBias, type Token } from 'node-llama-cpp';
import { EngineClient } from '../../main/engine/engineClient.ts';
import { forkLauncher } from '../../main/engine/launchers/forkLauncher.ts';
import { defaultThreads } from '../../main/engine/host/llamaRuntime.ts';
import { BOS_ID, EOS_ID, EOT_ID } from '../../main/contract/chameleon.ts';
import { BENCH_PARAMS, benchChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const threads = Number(process.env.BENCH_THREADS ?? defaultThreads());
const decodeTokens = Number(process.env.BENCH_DECODE ?? 64);
const contextSize = 4096;
const batchSize = 512;
const sampling = { temperature: 0.7, topP: 0.9, topK: 0, repeatPenalty: 1.2, maxTokens: decodeTokens };
const basePrompt = 'describe the picture of the old house by the river under the dark sky, and explain why the colors look this way. '.repeat(12);

interface Sample {
  promptTokens: number;
  firstTokenMs: number;
  decodeTokS: number;
  promptTokS: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

console.log('generating/locating the benchmark model …');
const modelPath = benchChameleonGguf();
console.log(`model: ${BENCH_PARAMS.embd} dims × ${BENCH_PARAMS.layers} layers, ${BENCH_PARAMS.weights}; threads ${threads}; ${runs} runs; ${decodeTokens} decoded tokens; cpu ${os.cpus()[0]?.model} × ${os.availableParallelism()}`);

// --- host path ---------------------------------------------------------------------------------
const client = new EngineClient({ launcher: forkLauncher() });
const status = await client.load({ modelPath, contextSize, batchSize, threads, gpu: 'auto' });
console.log(`host backend: ${status.backend?.kind} (${status.backend?.deviceNames.join(', ')}), gpu layers ${status.backend?.gpuLayers}/${status.backend?.totalLayers}`);

async function hostRun(i: number, text = basePrompt, decode = decodeTokens): Promise<Sample> {
  const t0 = performance.now();
  let first = 0;
  const r = await client.generate(
    // A different first word each run, so the KV cache cannot serve the prompt.
    { sessionId: `bench-${i}`, turns: [{ role: 'user', segments: [{ type: 'text', text: `${i}: ${text}` }] }], sampling: { ...sampling, maxTokens: decode, seed: 1000 + i } },
    { onEvent: (e) => e.type === 'delta' && first === 0 && (first = performance.now()) },
  );
  const end = performance.now();
  if (r.usage.completionTokens !== decode) throw new Error(`host run stopped early (${r.stopReason})`);
  return {
    promptTokens: r.usage.evaluatedPromptTokens,
    firstTokenMs: first - t0,
    promptTokS: (r.usage.evaluatedPromptTokens * 1000) / (first - t0),
    decodeTokS: decode > 1 ? ((r.usage.completionTokens - 1) * 1000) / (end - first) : 0,
  };
}

// --- direct path -------------------------------------------------------------------------------
const llama = await getLlama({ gpu: 'auto', build: 'never' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize, batchSize, threads, sequences: 1 });
const sequence = context.getSequence();
const bias = new TokenBias(model.tokenizer);
for (let id = 0; id < 16384; id++) if (id !== EOS_ID && id !== EOT_ID) bias.set(id as Token, 'never');

async function directRun(i: number, text = basePrompt, decode = decodeTokens): Promise<Sample> {
  await sequence.clearHistory();
  const t0 = performance.now();
  const prompt = [BOS_ID, ...model.tokenize(`${i}: ${text}`, false), EOT_ID] as Token[];
  if (prompt.length > batchSize) throw new Error('benchmark prompt must fit one batch');
  const window = prompt.slice(-64);
  let first = 0;
  let n = 0;
  for await (const token of sequence.evaluate(prompt, {
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: sampling.topK,
    seed: 1000 + i,
    tokenBias: bias,
    repeatPenalty: { punishTokens: () => window, penalty: sampling.repeatPenalty, maxPunishTokens: 64 },
  })) {
    if (first === 0) first = performance.now();
    model.detokenize([token]);
    window.push(token);
    window.shift();
    if (++n >= decode) break;
  }
  const end = performance.now();
  if (n !== decode) throw new Error('direct run stopped early');
  return {
    promptTokens: prompt.length,
    firstTokenMs: first - t0,
    promptTokS: (prompt.length * 1000) / (first - t0),
    decodeTokS: n > 1 ? ((n - 1) * 1000) / (end - first) : 0,
  };
}

// --- alternate ---------------------------------------------------------------------------------
await hostRun(-1); // warm-up both paths once
await directRun(-1);
const host: Sample[] = [];
const direct: Sample[] = [];
for (let i = 0; i < runs; i++) {
  if (i % 2 === 0) {
    host.push(await hostRun(i));
    direct.push(await directRun(i));
  } else {
    direct.push(await directRun(i));
    host.push(await hostRun(i));
  }
  const h = host.at(-1)!;
  const d = direct.at(-1)!;
  console.log(`run ${i}: host decode ${h.decodeTokS.toFixed(1)} tok/s, ttft ${h.firstTokenMs.toFixed(1)} ms | direct decode ${d.decodeTokS.toFixed(1)} tok/s, ttft ${d.firstTokenMs.toFixed(1)} ms`);
}

const row = (name: string, s: Sample[]): string =>
  `${name.padEnd(8)} prompt ${median(s.map((x) => x.promptTokS)).toFixed(1).padStart(8)} tok/s   decode ${median(s.map((x) => x.decodeTokS)).toFixed(2).padStart(7)} tok/s   first token ${median(s.map((x) => x.firstTokenMs)).toFixed(1).padStart(7)} ms   (${s[0]!.promptTokens} prompt tokens)`;
console.log('\nmedians');
console.log(row('host', host));
console.log(row('direct', direct));
const decodeRatio = median(host.map((x) => x.decodeTokS)) / median(direct.map((x) => x.decodeTokS));
const promptRatio = median(host.map((x) => x.promptTokS)) / median(direct.map((x) => x.promptTokS));
const ttftOverhead = median(host.map((x) => x.firstTokenMs)) - median(direct.map((x) => x.firstTokenMs));
console.log(`\nratios host/direct: prompt ${promptRatio.toFixed(3)}, decode ${decodeRatio.toFixed(3)} (goal ≥ 0.97); first-token overhead ${ttftOverhead.toFixed(1)} ms (goal ≤ 30 ms)`);

// A short prompt isolates the fixed cost of the host path (IPC, prompt building, KV compare).
const shortHost: number[] = [];
const shortDirect: number[] = [];
for (let i = 0; i < runs * 2; i++) {
  const text = 'hello there, how are you';
  if (i % 2 === 0) {
    shortHost.push((await hostRun(100 + i, text, 2)).firstTokenMs);
    shortDirect.push((await directRun(100 + i, text, 2)).firstTokenMs);
  } else {
    shortDirect.push((await directRun(100 + i, text, 2)).firstTokenMs);
    shortHost.push((await hostRun(100 + i, text, 2)).firstTokenMs);
  }
}
console.log(
  `short prompt first token: host ${median(shortHost).toFixed(1)} ms, direct ${median(shortDirect).toFixed(1)} ms, overhead ${(median(shortHost) - median(shortDirect)).toFixed(1)} ms`,
);

await client.dispose();
await context.dispose();
await model.dispose();
await llama.dispose();
