// One text generation on the loaded model: prompt → KV-cache reuse → chunked prompt evaluation →
// streamed sampling. Runs inside the host process only.
import { LlamaGrammarEvaluationState, TokenBias, type ControlledEvaluateInputItem, type LlamaGrammar, type Token } from 'node-llama-cpp';
import { AppError } from '../../contract/errors.ts';
import { EOS_ID, EOT_ID, IMAGE_ALIAS_FIRST_ID, VOCAB_SIZE } from '../../contract/chameleon.ts';
import type { GenerateRequest, GenerationEvent, GenerationResult, OutputFormat, StopReason, TokenLogprob } from '../../contract/engine.ts';
import { assertGrammarSchema } from '../jsonSchemaSubset.ts';
import { buildPromptTokens, openAnswerStart } from '../promptBuilder.ts';
import { IncrementalDecoder, StopStringMatcher } from '../textStream.ts';
import { FIRST_TEXT_ID, type LoadedModel } from './llamaRuntime.ts';
import type { AnswerCache } from './answerCache.ts';

/**
 * Prompts are evaluated in chunks of this many tokens (or the batch size, if smaller), aligned to
 * multiples of it, and the cache is reused down to such a boundary: small, so that a follow-up
 * turn re-evaluates little more than the previous answer; a multiple of 32, so that prompt
 * evaluation keeps using llama.cpp's batched kernels.
 */
export const PROMPT_CHUNK_TOKENS = 64;

/** The tokens of `prompt` a sequence may keep: its common prefix with what the sequence holds, cut to a chunk boundary of cells aligned chunks wrote. */
export function reusableTokens(common: number, aligned: number, promptLength: number, chunk: number): number {
  return Math.floor(Math.min(common, aligned, promptLength - 1) / chunk) * chunk;
}

/**
 * The candidates top-p looks at when top-k is off. node-llama-cpp turns top-k 0 into a top-k of the
 * whole vocabulary ahead of top-p, and llama.cpp sorts all 65 536 candidates for it on every token
 * (5.5 ms of a 23 ms token, issue 14); a head of 1 024 sorts in a fraction of that. It changes the
 * top-p set only when the 1 024 likeliest tokens hold less than top-p of the probability — a
 * distribution spread nearly evenly over the vocabulary (random weights), not a trained model's,
 * whose top-p 0.9 set is a few dozen tokens. llama.cpp's own top-p bets on 256 first.
 */
export const TOP_P_CANDIDATES = 1024;

/** The top-k handed to node-llama-cpp for the user's top-k and top-p. */
export function samplerTopK(topK: number, topP: number): number {
  return topK === 0 && topP < 1 ? TOP_P_CANDIDATES : topK;
}

/** llama.cpp's repeat-penalty window (chameleon.md §8.12: the reference penalises the whole sequence). */
const REPEAT_PENALTY_WINDOW = 64;

/** The grammar for a requested output format (response_format), built by node-llama-cpp. */
async function grammarFor(loaded: LoadedModel, format: OutputFormat): Promise<LlamaGrammar> {
  const llama = loaded.model.llama;
  if (format.type === 'jsonObject') return llama.getGrammarFor('json');
  assertGrammarSchema(format.schema);
  try {
    // node-llama-cpp accepts a subset of JSON Schema; anything else is the client's to fix.
    return await llama.createGrammarForJsonSchema(format.schema as never);
  } catch (err) {
    throw new AppError('api.badRequest', `This JSON schema cannot be turned into a grammar: ${err instanceof Error ? err.message : String(err)}`, { param: 'response_format' });
  }
}

/**
 * Under a grammar, also ban the tokens whose bytes are not whole UTF-8 on their own: a byte-level
 * BPE vocabulary (Chameleon's) has tokens holding a stray or partial byte, which llama.cpp's
 * grammar lets through inside ASCII text ("b\uFFFDright" was sampled as a JSON key). JSON can still
 * write any character, as itself through whole tokens or as a \u escape.
 */
function grammarBias(loaded: LoadedModel): TokenBias {
  if (loaded.grammarBias) return loaded.grammarBias;
  const bias = new TokenBias(loaded.model.tokenizer);
  const vocab = loaded.info.vocabularySize ?? VOCAB_SIZE;
  for (let id = 0; id < vocab; id++) {
    // Image aliases (ids from 65536) are CONTROL tokens with empty text: never text.
    const banned = id < FIRST_TEXT_ID || id >= IMAGE_ALIAS_FIRST_ID ? id !== EOS_ID && id !== EOT_ID : loaded.model.detokenize([id as Token]).includes('\uFFFD');
    if (banned) bias.set(id as Token, 'never');
  }
  loaded.grammarBias = bias;
  return bias;
}

/** log p of each token: the sampled one and the `top` most likely, from the distribution it was drawn from. */
function logprobOf(model: LoadedModel['model'], token: number, probabilities: ReadonlyMap<Token, number> | undefined, top: number): TokenLogprob {
  const text = (t: number): string => model.detokenize([t as Token]);
  const lp = (p: number | undefined): number => (p === undefined || p <= 0 ? -9999 : Math.log(p));
  const ranked = probabilities ? [...probabilities].sort((a, b) => b[1] - a[1]).slice(0, top) : [];
  return { token: text(token), logprob: lp(probabilities?.get(token as Token)), top: ranked.map(([t, p]) => ({ token: text(t), logprob: lp(p) })) };
}

export function promptTokensFor(loaded: LoadedModel, request: Pick<GenerateRequest, 'turns'>, answers?: AnswerCache): number[] {
  // tokenize(text, false): no special-token parsing, and node-llama-cpp adds no BOS here.
  return buildPromptTokens(request.turns, (text) => loaded.model.tokenize(text, false), answers ? (t) => answers.get(t) : undefined);
}

/**
 * Brings the loaded sequence to `prompt` minus its last chunk, reusing what it holds, and returns
 * that chunk (at least one token) for the caller to evaluate with its first sample.
 */
export async function prefillPrompt(
  loaded: LoadedModel,
  prompt: readonly number[],
  signal: AbortSignal,
  emit: (event: GenerationEvent) => void,
): Promise<{ toEvaluate: Token[]; tail: Token[]; aborted: boolean }> {
  const { sequence, context } = loaded;
  // KV reuse, made invisible in the answer: llama.cpp's numbers depend on how tokens were batched
  // (an answer's tokens are evaluated one by one, a prompt in chunks), so the same seed and prompt
  // answered differently after a load than with a warm cache. Every prompt is evaluated in chunks
  // aligned to multiples of PROMPT_CHUNK_TOKENS, and only cells such chunks wrote are reused: the
  // common prefix, cut down to a chunk boundary. At least one prompt token is always evaluated,
  // since sampling needs the logits of the last one.
  const chunk = Math.min(context.batchSize, PROMPT_CHUNK_TOKENS);
  const reuse = reusableTokens(sequence.compareContextTokens(prompt as Token[]).firstDifferentIndex, loaded.alignedTokens, prompt.length, chunk);
  loaded.alignedTokens = reuse;
  if (sequence.nextTokenIndex > reuse) await sequence.eraseContextTokenRanges([{ start: reuse, end: sequence.nextTokenIndex }]);
  const toEvaluate = prompt.slice(reuse) as Token[];
  // Defect 1 (chameleon.md §9): a micro-batch without logits aborts the process. Feed everything
  // but the last chunk in chunks whose last token asks for an output, and never call
  // evaluateWithoutGeneratingNewTokens. The last chunk (evaluated with the answer) is not reused.
  let evaluated = 0;
  while (toEvaluate.length - evaluated > chunk) {
    const part = toEvaluate.slice(evaluated, evaluated + chunk);
    await evaluateWithOutput(sequence, part);
    evaluated += part.length;
    loaded.alignedTokens = reuse + evaluated;
    emit({ type: 'promptProgress', evaluated, total: toEvaluate.length });
    if (signal.aborted) return { toEvaluate, tail: [], aborted: true };
  }
  return { toEvaluate, tail: toEvaluate.slice(evaluated), aborted: signal.aborted };
}

/** Evaluates `tokens` (at most a batch) with an output on the last one: never a batch without logits (defect 1). */
export async function evaluateWithOutput(sequence: LoadedModel['sequence'], tokens: readonly Token[]): Promise<void> {
  const input: ControlledEvaluateInputItem[] = tokens.map((t, i) => (i === tokens.length - 1 ? [t, { generateNext: { token: true } }] : t));
  await sequence.controlledEvaluate(input);
}

export async function generate(
  loaded: LoadedModel,
  request: GenerateRequest,
  signal: AbortSignal,
  emit: (event: GenerationEvent) => void,
  answers: AnswerCache,
): Promise<GenerationResult> {
  const started = performance.now();
  const { sequence, context, model } = loaded;
  const sampling = request.sampling;
  const prompt = promptTokensFor(loaded, request, answers);
  const contextSize = context.contextSize;
  if (prompt.length >= contextSize) {
    throw new AppError('engine.contextOverflow', `The conversation is ${prompt.length} tokens long; the context holds ${contextSize}. Start a new chat or shorten it.`, {
      promptTokens: prompt.length,
      contextSize,
    });
  }
  const maxNew = Math.min(sampling.maxTokens, contextSize - prompt.length);
  const seed = sampling.seed ?? Math.floor(Math.random() * 0xffff_ffff);

  const penaltyWindow: number[] = prompt.slice(-REPEAT_PENALTY_WINDOW);
  const grammar = request.format ? new LlamaGrammarEvaluationState({ model, grammar: await grammarFor(loaded, request.format) }) : undefined;
  const options = {
    ...(grammar ? { grammarEvaluationState: grammar } : {}),
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: samplerTopK(sampling.topK, sampling.topP),
    minP: sampling.minP,
    seed,
    tokenBias: grammar ? grammarBias(loaded) : loaded.textOnlyBias,
    yieldEogToken: true,
    ...(sampling.repeatPenalty > 1 ? { repeatPenalty: { punishTokens: () => penaltyWindow as Token[], penalty: sampling.repeatPenalty, maxPunishTokens: REPEAT_PENALTY_WINDOW } } : {}),
  };

  const wantLogprobs = request.logprobs !== undefined;
  const logprobs: TokenLogprob[] = [];
  let unsent: TokenLogprob[] = [];
  const result = (text: string, stopReason: StopReason, completion: number, firstTokenAt: number | null, promptDoneAt: number | null): GenerationResult => {
    const end = performance.now();
    const first = firstTokenAt ?? end;
    return {
      text,
      stopReason,
      usage: { promptTokens: prompt.length, evaluatedPromptTokens: toEvaluate.length, completionTokens: completion },
      timings: {
        promptMs: (promptDoneAt ?? end) - started,
        firstTokenMs: first - started,
        totalMs: end - started,
        tokensPerSecond: completion > 1 ? ((completion - 1) * 1000) / Math.max(1e-6, end - first) : 0,
      },
      seed,
      ...(wantLogprobs ? { logprobs } : {}),
    };
  };

  const { toEvaluate, tail: prefillTail, aborted } = await prefillPrompt(loaded, prompt, signal, emit);
  if (aborted) return result('', 'aborted', 0, null, null);

  const decoder = new IncrementalDecoder((tokens) => model.detokenize(tokens as Token[]));
  const stops = new StopStringMatcher(sampling.stop);
  const generated: number[] = [];
  let text = '';
  let stopReason: StopReason = 'maxTokens';
  let firstTokenAt: number | null = null;
  let promptDoneAt: number | null = null;
  const push = (delta: string): void => {
    if (delta === '') return;
    text += delta;
    if (unsent.length === 0) emit({ type: 'delta', text: delta });
    else {
      emit({ type: 'delta', text: delta, logprobs: unsent });
      unsent = [];
    }
  };

  if (signal.aborted) return result('', 'aborted', 0, null, null);
  // The per-token distribution costs a copy of every candidate: only when the client asked.
  const tail = prefillTail;
  const tokens: AsyncIterable<{ token: Token; probabilities?: ReadonlyMap<Token, number> }> = wantLogprobs
    ? sequence.evaluateWithMetadata(tail, { probabilities: true }, options)
    : (async function* () {
        for await (const token of sequence.evaluate(tail, options)) yield { token };
      })();
  for await (const { token, probabilities } of tokens) {
    if (firstTokenAt === null) {
      firstTokenAt = performance.now();
      promptDoneAt = firstTokenAt;
      emit({ type: 'promptProgress', evaluated: toEvaluate.length, total: toEvaluate.length });
    }
    if (token === EOS_ID || model.isEogToken(token)) {
      stopReason = 'eos';
      break;
    }
    if (token === EOT_ID) {
      stopReason = 'endOfTurn';
      break;
    }
    generated.push(token);
    if (wantLogprobs) {
      const entry = logprobOf(model, token, probabilities, request.logprobs ?? 0);
      logprobs.push(entry);
      unsent.push(entry);
    }
    penaltyWindow.push(token);
    if (penaltyWindow.length > REPEAT_PENALTY_WINDOW) penaltyWindow.shift();
    const { emit: safe, stopped } = stops.push(decoder.push(token));
    push(safe);
    if (stopped) {
      stopReason = 'stopString';
      break;
    }
    if (generated.length >= maxNew) {
      stopReason = 'maxTokens';
      break;
    }
    if (signal.aborted) {
      stopReason = 'aborted';
      break;
    }
  }
  if (stopReason !== 'stopString') {
    const tail = stops.push(decoder.flush());
    push(tail.emit);
    if (tail.stopped) stopReason = 'stopString';
    else push(stops.flush());
  }
  // Tokens whose text never surfaced (a stop string, an unfinished character) still report theirs.
  if (unsent.length > 0) emit({ type: 'delta', text: '', logprobs: unsent });
  // Only an answer whose text is exactly its tokens can stand in for them in the next prompt. A
  // continued answer (an open assistant turn last) is the open part's tokens and these.
  const open = request.turns.at(-1);
  const openText = open?.role === 'assistant' && open.segments.length === 1 && open.segments[0]?.type === 'text' ? open.segments[0].text : undefined;
  if (stopReason !== 'stopString') {
    if (openText === undefined) answers.set(text, generated);
    else answers.set(openText + text, [...prompt.slice(openAnswerStart(prompt)), ...generated]);
  }
  return result(text, stopReason, generated.length, firstTokenAt, promptDoneAt);
}
