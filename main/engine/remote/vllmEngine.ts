// vLLM's OpenAI-compatible server as an engine, written against vLLM's documented API (it cannot
// run on the machines this is built on: no GPU). /v1/completions takes a token-id prompt (a list of
// ints), so text and images go as our exact ids: Chameleon in vLLM embeds ids 4–8195 as image
// tokens like the reference does, which is what our VQ-GAN codes + 4 are. vLLM-specific request
// fields used: top_k, min_p, repetition_penalty, seed, stop_token_ids ([</s>, <reserved08706>]),
// logit_bias (the text-only ban), logprobs with return_tokens_as_token_ids (to learn the sampled
// ids), stream_options.include_usage. Text is tokenized by its /tokenize (the model's Hugging Face
// tokenizer, which splits special-token text too: a difference from the local engine, README).
import { EOS_ID, EOT_ID, BOI_ID, EOI_ID, IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID } from '../../contract/chameleon.ts';
import type { ChatTurn, GenerateRequest, GenerationResult, StopReason, TokenLogprob } from '../../contract/engine.ts';
import { AppError } from '../../contract/errors.ts';
import type { RemoteModel } from '../../contract/remoteEngines.ts';
import { AnswerCache } from '../host/answerCache.ts';
import { buildPromptTokens } from '../promptBuilder.ts';
import { textOnlyBannedIds, type RemoteAdapter, type RemoteGenerateOptions } from './remoteAdapter.ts';
import { DEFAULT_TIMEOUTS, readSse, remoteFetch, remoteJson, type RemoteEndpoint, type RemoteTimeouts } from './remoteHttp.ts';
import { VllmChunkSchema, VllmModelsSchema, VllmTokenizeSchema } from './vllmSchemas.ts';

const PROBE_TEXT = '<racm3:break><eoss><reserved08706>IMGIMGAZIMGIMGIBJBZ';
const PROBE_IDS = [BOI_ID, EOI_ID, EOT_ID, IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID];
/** vLLM penalises repetition over the whole sequence (Hugging Face's rule), not llama.cpp's last 64 tokens. */
const IGNORED = ['repeat window (vLLM penalises the whole sequence, prompt included)'];

export class VllmEngine implements RemoteAdapter {
  readonly #endpoint: RemoteEndpoint;
  readonly #timeouts: RemoteTimeouts;
  readonly #answers = new AnswerCache();
  readonly #tokenized = new Map<string, readonly number[]>();
  #model: RemoteModel | null = null;
  readonly #bias = Object.fromEntries(textOnlyBannedIds().map((id) => [String(id), -100]));

  constructor(endpoint: RemoteEndpoint, timeouts: RemoteTimeouts = DEFAULT_TIMEOUTS) {
    this.#endpoint = endpoint;
    this.#timeouts = timeouts;
  }

  async #tokenizeRaw(model: string, prompt: string, signal?: AbortSignal): Promise<number[]> {
    const parsed = VllmTokenizeSchema.safeParse(await remoteJson(this.#endpoint, '/tokenize', { method: 'POST', body: { model, prompt, add_special_tokens: false }, signal, timeouts: this.#timeouts }));
    if (!parsed.success) throw new AppError('remote.badResponse', 'The vLLM server answered /tokenize with something else than token ids.');
    return parsed.data.tokens;
  }

  async probe(signal?: AbortSignal): Promise<RemoteModel> {
    const host = new URL(this.#endpoint.baseUrl).host;
    const models = VllmModelsSchema.safeParse(await remoteJson(this.#endpoint, '/v1/models', { method: 'GET', signal, timeouts: this.#timeouts }));
    const served = models.success ? models.data.data[0] : undefined;
    if (!served) throw new AppError('remote.badResponse', `The engine at ${host} lists no model on /v1/models.`, { host });
    const ids = await this.#tokenizeRaw(served.id, PROBE_TEXT, signal);
    if (ids.join() !== PROBE_IDS.join()) {
      throw new AppError('remote.notChameleon', `The engine at ${host} serves ${served.id}, which is not a Chameleon model: its special and image tokens are not at Chameleon’s ids.`, { host, model: served.id });
    }
    this.#model = { id: served.id, vocabularySize: 65536, contextSize: served.max_model_len ?? 4096, imageInput: 'tokenIds', ignoredSampling: IGNORED };
    return this.#model;
  }

  async promptTokens(turns: ChatTurn[], signal?: AbortSignal): Promise<number[]> {
    const model = this.#model ?? (await this.probe(signal));
    for (const turn of turns) {
      const only = turn.segments.length === 1 ? turn.segments[0] : undefined;
      if (turn.role === 'assistant' && only?.type === 'text' && this.#answers.get(only.text)) continue;
      for (const s of turn.segments) {
        if (s.type !== 'text' || s.text === '' || this.#tokenized.has(s.text)) continue;
        if (this.#tokenized.size >= 512) this.#tokenized.delete(this.#tokenized.keys().next().value!);
        this.#tokenized.set(s.text, await this.#tokenizeRaw(model.id, s.text, signal));
      }
    }
    return buildPromptTokens(turns, (text) => this.#tokenized.get(text) ?? [], (text) => this.#answers.get(text));
  }

  async generate(request: GenerateRequest, options: RemoteGenerateOptions = {}): Promise<GenerationResult & { tokens: number[] }> {
    const started = performance.now();
    const model = this.#model ?? (await this.probe(options.signal));
    if (request.format) throw new AppError('api.badRequest', 'Structured output (response_format) runs on the local engine only.', { param: 'response_format' });
    const prompt = await this.promptTokens(request.turns, options.signal);
    if (prompt.length >= model.contextSize) {
      throw new AppError('engine.contextOverflow', `The conversation is ${prompt.length} tokens long; the server's context holds ${model.contextSize}.`, { promptTokens: prompt.length, contextSize: model.contextSize });
    }
    const s = request.sampling;
    const seed = s.seed ?? Math.floor(Math.random() * 0x7fff_ffff);
    const body = {
      model: model.id,
      prompt,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: Math.min(s.maxTokens, model.contextSize - prompt.length),
      temperature: s.temperature,
      top_p: s.topP,
      top_k: s.topK === 0 ? -1 : s.topK,
      min_p: s.minP,
      repetition_penalty: s.repeatPenalty,
      seed,
      stop_token_ids: [EOS_ID, EOT_ID],
      logit_bias: this.#bias,
      logprobs: Math.max(0, Math.min(5, request.logprobs ?? 0)),
      return_tokens_as_token_ids: true,
      skip_special_tokens: true,
      ...(s.stop && s.stop.length > 0 ? { stop: s.stop } : {}),
    };
    const tokens: number[] = [];
    const logprobs: TokenLogprob[] = [];
    let text = '';
    let stopReason = 'maxTokens' as StopReason;
    let firstTokenAt: number | null = null;
    const emit = options.onEvent ?? (() => undefined);
    const result = (): GenerationResult & { tokens: number[] } => {
      const end = performance.now();
      const first = firstTokenAt ?? end;
      return {
        text,
        stopReason,
        usage: { promptTokens: prompt.length, evaluatedPromptTokens: prompt.length, completionTokens: tokens.length },
        // vLLM's stream carries no timings: these are measured here, network included.
        timings: { promptMs: first - started, firstTokenMs: first - started, totalMs: end - started, tokensPerSecond: tokens.length > 1 ? ((tokens.length - 1) * 1000) / Math.max(1e-6, end - first) : 0 },
        seed,
        ...(request.logprobs !== undefined ? { logprobs } : {}),
        tokens,
      };
    };
    const opened = await remoteFetch(this.#endpoint, '/v1/completions', { method: 'POST', body, signal: options.signal, timeouts: this.#timeouts }).catch((err: unknown) => {
      if (options.signal?.aborted) return null;
      throw err;
    });
    if (!opened) {
      stopReason = 'aborted';
      return result();
    }
    let finishedChoice = false;
    const done = await readSse(
      this.#endpoint,
      opened,
      (raw) => {
        const chunk = VllmChunkSchema.safeParse(raw);
        if (!chunk.success) throw new AppError('remote.badResponse', 'The vLLM server sent a stream packet of another shape.');
        for (const choice of chunk.data.choices) {
          const lp = choice.logprobs;
          const ids = (lp?.tokens ?? []).map((t) => Number(/^token_id:(\d+)$/.exec(t)?.[1] ?? NaN)).filter((id) => Number.isInteger(id));
          if (ids.length > 0 && firstTokenAt === null) {
            firstTokenAt = performance.now();
            emit({ type: 'promptProgress', evaluated: prompt.length, total: prompt.length });
          }
          const probs: TokenLogprob[] = [];
          ids.forEach((id, i) => {
            if (id === EOS_ID || id === EOT_ID) return;
            tokens.push(id);
            if (request.logprobs !== undefined) probs.push({ token: choice.text, logprob: lp?.token_logprobs?.[i] ?? 0, top: [] });
          });
          logprobs.push(...probs);
          if (choice.text) {
            text += choice.text;
            emit(probs.length > 0 ? { type: 'delta', text: choice.text, logprobs: probs } : { type: 'delta', text: choice.text });
          }
          if (choice.finish_reason) {
            finishedChoice = true;
            const why = choice.stop_reason;
            stopReason = choice.finish_reason === 'length' ? 'maxTokens' : why === EOT_ID ? 'endOfTurn' : typeof why === 'string' ? 'stopString' : 'eos';
          }
        }
        // The usage packet (include_usage) comes after the finish; without it, the finish ends it.
        return chunk.data.usage !== undefined && chunk.data.usage !== null && finishedChoice;
      },
      { ...(options.signal ? { signal: options.signal } : {}), idleMs: this.#timeouts.idleMs },
    ).catch((err: unknown) => {
      // A server that omits the usage packet ends with [DONE] right after the finish: that is complete.
      if (finishedChoice && err instanceof AppError && err.code === 'remote.disconnected') return true;
      throw err;
    });
    if (!done) stopReason = 'aborted';
    if (stopReason !== 'stopString' && stopReason !== 'aborted') this.#answers.set(text, tokens);
    return result();
  }
}
