// `npm run bench:engine`: what the host process and the local API cost. Same benchmark GGUF, same
// prompt, same sampler settings, seeds and thread count, runs alternating (rotating order) between
//   host:   EngineClient → forked host process → node-llama-cpp (what the app uses)
//   api:    fetch → `npm run serve` process (HTTP, SSE) → its host process → node-llama-cpp
//   direct: node-llama-cpp in this process, no IPC, no prompt builder (same KV-prefix reuse)
//   llama-bench: llama.cpp's own benchmark (llamaBenchArm.ts), same GGUF, threads, flash-attention
//           setting and depth: decode (tg) after the prompt, prompt processing (pp) of the prompt
// and prints medians and ratios against direct (goals, issue 2: decode ≥ 0.97, first-token
// overhead ≤ 30 ms) and against llama-bench (issue 14: decode ≥ 0.95 at 1 thread, ≥ 0.97 at 2 and
// more; prompt ≥ 0.95). Direct runs in this process with libuv's default pool of 4 threads, the
// host with one (main/engine/launchers/hostEnv.ts): host/direct shows that lever. Then the other
// levers, each against its alternative in the same run: the top-p candidate cap (generation.ts)
// and flash attention at depth (llamaRuntime.ts). Env: BENCH_RUNS (default 9), BENCH_THREADS
// (default: the engine's default, 1 on 2 cores without SMT; BENCH_THREADS=2 for the 2-thread
// goal), BENCH_DECODE (64).
import os from 'node:os';
import { getLlama, TokenBias, type Token } from 'node-llama-cpp';
import { EngineClient } from '../../main/engine/engineClient.ts';
import { forkLauncher } from '../../main/engine/launchers/forkLauncher.ts';
import { defaultThreads, flashAttentionFor } from '../../main/engine/host/llamaRuntime.ts';
import { PROMPT_CHUNK_TOKENS, reusableTokens, samplerTopK } from '../../main/engine/host/generation.ts';
import { buildPromptTokens } from '../../main/engine/promptBuilder.ts';
import { BOS_ID, EOS_ID, EOT_ID } from '../../main/contract/chameleon.ts';
import { BENCH_PARAMS, benchChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { bestLine, median, medianRow, pairedLine, ratioLine, type Sample } from './benchStats.ts';
import { ServeArm } from './serveArm.ts';
import { LlamaBench } from './llamaBenchArm.ts';

const runs = Number(process.env.BENCH_RUNS ?? 9);
const decodeTokens = Number(process.env.BENCH_DECODE ?? 64);
const contextSize = 4096;
const batchSize = 512;
const sampling = { temperature: 0.7, topP: 0.9, topK: 0, repeatPenalty: 1.2, maxTokens: decodeTokens };
const basePrompt = 'describe the picture of the old house by the river under the dark sky, and explain why the colors look this way. '.repeat(12);
// A different first word each run, so the KV cache can serve little more than BOS.
const userText = (i: number, text: string): string => `${i}: ${text}`;

console.log('generating/locating the benchmark model …');
const modelPath = benchChameleonGguf();
const llama = await getLlama({ gpu: 'auto', build: 'never' });
const threads = Number(process.env.BENCH_THREADS ?? defaultThreads(llama.cpuMathCores));
const flashAttention = flashAttentionFor(llama.gpu === false ? 'cpu' : llama.gpu);
console.log(`model: ${BENCH_PARAMS.embd} dims × ${BENCH_PARAMS.layers} layers, ${BENCH_PARAMS.weights}; threads ${threads} (${llama.cpuMathCores} physical cores); flash attention ${flashAttention}; ${runs} runs; ${decodeTokens} decoded tokens; cpu ${os.cpus()[0]?.model} × ${os.availableParallelism()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const llamaBench = LlamaBench.locate();
if (typeof llamaBench === 'string') console.log(`\n*** ${llamaBench}\n`);

// --- direct path -------------------------------------------------------------------------------
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize, batchSize, threads, sequences: 1, flashAttention });
const sequence = context.getSequence();
const bias = new TokenBias(model.tokenizer);
for (let id = 0; id < 16384; id++) if (id !== EOS_ID && id !== EOT_ID) bias.set(id as Token, 'never');

async function directRun(i: number, text = basePrompt, decode = decodeTokens, topK = samplerTopK(sampling.topK, sampling.topP)): Promise<Sample> {
  const t0 = performance.now();
  const prompt = [BOS_ID, ...model.tokenize(userText(i, text), false), EOT_ID] as Token[];
  if (prompt.length > batchSize) throw new Error('benchmark prompt must fit one batch');
  // Keep the common prefix in the KV cache as the engine host does (at least BOS; "101: …" after
  // "100: …" shares more), so all arms evaluate the same tokens.
  // Cut to a PROMPT_CHUNK_TOKENS boundary, as the host does (generation.ts), so both evaluate alike.
  const chunk = Math.min(batchSize, PROMPT_CHUNK_TOKENS);
  const common = Math.floor(Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1) / chunk) * chunk;
  await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
  const window = prompt.slice(-64);
  let first = 0;
  let n = 0;
  for await (const token of sequence.evaluate(prompt.slice(common), {
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK,
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
  return sample(prompt.length, prompt.length - common, first - t0, n, end - first);
}

function sample(promptTokens: number, evaluatedTokens: number, firstTokenMs: number, completionTokens: number, decodeMs: number): Sample {
  return {
    promptTokens,
    evaluatedTokens,
    firstTokenMs,
    promptTokS: (evaluatedTokens * 1000) / firstTokenMs,
    decodeTokS: completionTokens > 1 ? ((completionTokens - 1) * 1000) / decodeMs : 0,
  };
}

/**
 * The Chameleon prompt the engine host builds for one user message (the API maps a single user
 * message to the same turn), and how much of it the host evaluates: it keeps the longest common
 * prefix with what its sequence holds (main/engine/host/generation.ts). Host and API each drive
 * their own host process with the same prompts in the same order, so each gets its own mirror.
 */
class HostPromptMirror {
  #held: number[] = [];

  next(text: string): { tokens: number; evaluated: number } {
    const prompt = buildPromptTokens([{ role: 'user', segments: [{ type: 'text', text }] }], (t) => model.tokenize(t, false));
    let common = 0;
    while (common < prompt.length && common < this.#held.length && prompt[common] === this.#held[common]) common++;
    // Past the held prompt the sequence holds the generated tokens, which this mirror cannot see.
    if (common > 0 && common === this.#held.length) throw new Error('benchmark prompts must not extend each other');
    // The host reuses cells of whole aligned prompt chunks only (generation.ts).
    const chunk = Math.min(batchSize, PROMPT_CHUNK_TOKENS);
    const reused = reusableTokens(common, this.#held.length === 0 ? 0 : Math.floor((this.#held.length - 1) / chunk) * chunk, prompt.length, chunk);
    this.#held = prompt;
    return { tokens: prompt.length, evaluated: prompt.length - reused };
  }
}

// --- host path ---------------------------------------------------------------------------------
const client = new EngineClient({ launcher: forkLauncher() });
const status = await client.load({ modelPath, contextSize, batchSize, threads, gpu: 'auto' });
const b = status.backend;
console.log(`host backend: ${b?.kind} (${b?.deviceNames.join(', ')}), gpu layers ${b?.gpuLayers}/${b?.totalLayers}, ${b?.threads} threads, batch ${b?.batchSize}`);
if (b?.threads !== threads) throw new Error(`host runs ${b?.threads} threads, not ${threads}`);
const hostMirror = new HostPromptMirror();

async function hostRun(i: number, text = basePrompt, decode = decodeTokens): Promise<Sample> {
  const expected = hostMirror.next(userText(i, text));
  const t0 = performance.now();
  let first = 0;
  const r = await client.generate(
    { sessionId: `bench-${i}`, turns: [{ role: 'user', segments: [{ type: 'text', text: userText(i, text) }] }], sampling: { ...sampling, maxTokens: decode, seed: 1000 + i } },
    { onEvent: (e) => e.type === 'delta' && first === 0 && (first = performance.now()) },
  );
  const end = performance.now();
  if (r.usage.completionTokens !== decode) throw new Error(`host run stopped early (${r.stopReason})`);
  if (r.usage.promptTokens !== expected.tokens || r.usage.evaluatedPromptTokens !== expected.evaluated) {
    throw new Error(`host prompt ${r.usage.promptTokens}/${r.usage.evaluatedPromptTokens} tokens, expected ${expected.tokens}/${expected.evaluated}`);
  }
  return sample(r.usage.promptTokens, r.usage.evaluatedPromptTokens, first - t0, r.usage.completionTokens, end - first);
}

// --- API path ----------------------------------------------------------------------------------
const server = await ServeArm.start({ modelPath, contextSize, threads });
console.log(`api server: ${server.url}; ${server.readyLine}`);
const serverThreads = Number(/(\d+) threads?\b/.exec(server.readyLine)?.[1]);
if (serverThreads !== threads) throw new Error(`the server's host runs ${serverThreads} threads, not ${threads}`);
const apiMirror = new HostPromptMirror();

async function apiRun(i: number, text = basePrompt, decode = decodeTokens): Promise<Sample> {
  const expected = apiMirror.next(userText(i, text));
  const c = await server.complete(userText(i, text), {
    temperature: sampling.temperature,
    top_p: sampling.topP,
    top_k: sampling.topK,
    repetition_penalty: sampling.repeatPenalty,
    max_tokens: decode,
    seed: 1000 + i,
  });
  if (c.completionTokens !== decode || c.finishReason !== 'length') throw new Error(`api run stopped early (${c.finishReason})`);
  if (c.promptTokens !== expected.tokens) throw new Error(`api prompt ${c.promptTokens} tokens, expected ${expected.tokens}`);
  return sample(c.promptTokens, expected.evaluated, c.firstContentMs, c.completionTokens, c.finishMs - c.firstContentMs);
}

// --- alternate ---------------------------------------------------------------------------------
type Arm = 'host' | 'api' | 'direct';
const armRun: Record<Arm, typeof hostRun> = { host: hostRun, api: apiRun, direct: directRun };
const rotations: Arm[][] = [
  ['host', 'api', 'direct'],
  ['api', 'direct', 'host'],
  ['direct', 'host', 'api'],
];

/** One run of each arm on the same prompt and seed, in an order that rotates with `i`. */
async function round(i: number, text?: string, decode?: number): Promise<Record<Arm, Sample>> {
  const out: Partial<Record<Arm, Sample>> = {};
  for (const arm of rotations[((i % 3) + 3) % 3]!) out[arm] = await armRun[arm](i, text, decode);
  const counts = (s: Sample): string => `${s.promptTokens}/${s.evaluatedTokens}`;
  if (new Set([out.host!, out.api!, out.direct!].map(counts)).size !== 1) {
    throw new Error(`prompt/evaluated tokens differ: host ${counts(out.host!)}, api ${counts(out.api!)}, direct ${counts(out.direct!)}`);
  }
  return out as Record<Arm, Sample>;
}

interface LlamaBenchRound {
  /** Decode at the depth of the app's prompt. */
  tg: number;
  /** Prompt processing of the tokens the app evaluated, in one ubatch. */
  pp: number;
}

/** llama-bench shaped like the round just run: the same depth, decode length, prompt tokens. */
async function llamaBenchRound(s: Sample): Promise<LlamaBenchRound | undefined> {
  if (typeof llamaBench === 'string') return undefined;
  const base = { model: modelPath, threads, flashAttention: [flashAttention === true], repetitions: 1, batchSize };
  const [tg] = await llamaBench.run({ ...base, prompt: [0], gen: [decodeTokens], depth: [s.promptTokens] });
  // One ubatch only: llama.cpp's Chameleon graph aborts on a ubatch without logits (chameleon.md
  // §9, defect 1), which is also why the app feeds prompts in chunks that each ask for an output.
  const [pp] = await llamaBench.run({ ...base, prompt: [s.evaluatedTokens], gen: [0], depth: [s.promptTokens - s.evaluatedTokens] });
  return { tg: tg!.tokS, pp: pp!.tokS };
}

await round(-1); // warm-up every path once
const all: Record<Arm, Sample[]> = { host: [], api: [], direct: [] };
const reference: LlamaBenchRound[] = [];
for (let i = 0; i < runs; i++) {
  const r = await round(i);
  for (const arm of ['host', 'api', 'direct'] as const) all[arm].push(r[arm]);
  const lb = await llamaBenchRound(r.host);
  if (lb) reference.push(lb);
  const fmt = (s: Sample): string => `decode ${s.decodeTokS.toFixed(1)} tok/s, ttft ${s.firstTokenMs.toFixed(1)} ms`;
  console.log(`run ${i}: host ${fmt(r.host)} | api ${fmt(r.api)} | direct ${fmt(r.direct)}${lb ? ` | llama-bench tg ${lb.tg.toFixed(1)} tok/s, pp ${lb.pp.toFixed(0)} tok/s` : ''}`);
}

console.log('\nmedians');
for (const arm of ['host', 'api', 'direct'] as const) console.log(medianRow(arm, all[arm]));
console.log('\nratios');
console.log(ratioLine('host', all.host, all.direct));
console.log(ratioLine('api', all.api, all.direct));
console.log(pairedLine('host', all.host, all.direct));
console.log(pairedLine('api', all.api, all.direct));
console.log(bestLine('host', all.host, all.direct));
console.log(bestLine('api', all.api, all.direct));

if (reference.length > 0) {
  const goal = threads === 1 ? 0.95 : 0.97;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const first = all.host[0]!;
  console.log(`\nagainst llama-bench (same GGUF, ${threads} threads, flash attention ${flashAttention === true ? 'on' : 'off'}, tg${decodeTokens} at depth ${first.promptTokens}, pp${first.evaluatedTokens}); median of per-round ratios:`);
  for (const arm of ['host', 'api', 'direct'] as const) {
    const decode = median(all[arm].map((s, i) => s.decodeTokS / reference[i]!.tg));
    const prompt = median(all[arm].map((s, i) => s.promptTokS / reference[i]!.pp));
    console.log(`  ${`${arm}/llama-bench:`.padEnd(19)} decode ${decode.toFixed(3)} (goal ≥ ${goal}: ${verdict(decode >= goal)})   prompt ${prompt.toFixed(3)} (goal ≥ 0.95: ${verdict(prompt >= 0.95)}; the app evaluates in ${PROMPT_CHUNK_TOKENS}-token chunks, llama-bench in one ubatch)`);
  }
  console.log(`  llama-bench medians: tg ${median(reference.map((r) => r.tg)).toFixed(1)} tok/s, pp ${median(reference.map((r) => r.pp)).toFixed(0)} tok/s`);
}

// Lever: the candidate cap ahead of top-p, against node-llama-cpp's whole-vocabulary top-k.
const capped: Sample[] = [];
const uncapped: Sample[] = [];
for (let i = 0; i < runs; i++) {
  const pair = i % 2 === 0 ? ['capped', 'uncapped'] : ['uncapped', 'capped'];
  for (const which of pair) (which === 'capped' ? capped : uncapped).push(await directRun(200 + i, basePrompt, decodeTokens, which === 'capped' ? samplerTopK(0, sampling.topP) : 0));
}
console.log(`\nlever: top-p ${sampling.topP} over a capped head vs every candidate (direct, top-k off): decode ${median(capped.map((s) => s.decodeTokS)).toFixed(1)} vs ${median(uncapped.map((s) => s.decodeTokS)).toFixed(1)} tok/s, ratio ${median(capped.map((s, i) => s.decodeTokS / uncapped[i]!.decodeTokS)).toFixed(3)} (per-round median)`);

// Lever: flash attention on the CPU at depth, measured by llama-bench itself.
if (typeof llamaBench !== 'string') {
  const depths = [0, 2000];
  // a batch as large as the depth: the depth is filled in one ubatch (defect 1, above)
  const rows = await llamaBench.run({ model: modelPath, threads, prompt: [0], gen: [32], depth: depths, flashAttention: [false, true], repetitions: 3, batchSize: 2048 });
  const at = (fa: boolean, d: number): number => rows.find((r) => r.flashAttention === fa && r.depth === d)!.tokS;
  console.log(`lever: flash attention (llama-bench tg32, ${threads} threads): depth 0 on/off ${at(true, 0).toFixed(1)}/${at(false, 0).toFixed(1)} tok/s (${(at(true, 0) / at(false, 0)).toFixed(3)}), depth 2000 on/off ${at(true, 2000).toFixed(1)}/${at(false, 2000).toFixed(1)} tok/s (${(at(true, 2000) / at(false, 2000)).toFixed(3)}); the app uses ${flashAttention === true ? 'on' : flashAttention === false ? 'off' : 'auto'} here`);
}

// A short prompt isolates the fixed cost of each path (IPC, HTTP and SSE, prompt building, KV compare).
const short: Record<Arm, number[]> = { host: [], api: [], direct: [] };
for (let i = 0; i < runs * 2; i++) {
  const r = await round(100 + i, 'hello there, how are you', 2);
  for (const arm of ['host', 'api', 'direct'] as const) short[arm].push(r[arm].firstTokenMs);
}
const [h, a, d] = [median(short.host), median(short.api), median(short.direct)];
const pairedOverhead = (arm: number[]): string => median(arm.map((t, i) => t - short.direct[i]!)).toFixed(1);
console.log(
  `\nshort prompt first token (median of ${runs * 2}): host ${h.toFixed(1)} ms, api ${a.toFixed(1)} ms, direct ${d.toFixed(1)} ms; overhead host ${(h - d).toFixed(1)} ms, api ${(a - d).toFixed(1)} ms (paired: host ${pairedOverhead(short.host)} ms, api ${pairedOverhead(short.api)} ms)`,
);
const fastest = (arm: Arm): string => Math.min(...short[arm]).toFixed(1);
console.log(
  `short prompt first token, fastest runs: host ${fastest('host')} ms, api ${fastest('api')} ms, direct ${fastest('direct')} ms`,
);

await server.dispose();
await client.dispose();
await context.dispose();
await model.dispose();
await llama.dispose();
