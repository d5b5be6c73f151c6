// llama.cpp's llama-server (alone, or in front of rpc-servers with --rpc) as an engine. It takes a
// token-id prompt on /completion, so the prompt is exactly the one the local engine evaluates:
// text tokenized by the server's own /tokenize (no special-token parsing, no BOS: as the local
// engine does), images as our VQ-GAN's codes (id = code + 4), earlier answers as the ids that were
// sampled. Sampling maps onto its parameters with every sampler we do not use switched off; the
// local engine's text-only ban goes as logit_bias. `</s>` ends an answer on the server (an EOG
// token); `<reserved08706>` (8710) is not EOG in llama.cpp, so on that token we hang up, which
// stops the server's slot too.
import { EOS_ID, EOT_ID, IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID, BOI_ID, EOI_ID, VOCAB_SIZE, ALIASED_VOCAB_SIZE } from '../../contract/chameleon.ts';
import type { ChatTurn, GenerateRequest, GenerationResult, StopReason, TokenLogprob } from '../../contract/engine.ts';
import { AppError } from '../../contract/errors.ts';
import type { RemoteModel } from '../../contract/remoteEngines.ts';
import { AnswerCache } from '../host/answerCache.ts';
import { buildPromptTokens } from '../promptBuilder.ts';
import { DEFAULT_TIMEOUTS, readSse, remoteFetch, remoteJson, type RemoteEndpoint, type RemoteTimeouts } from './remoteHttp.ts';
import { textOnlyBannedIds, type RemoteAdapter, type RemoteGenerateOptions } from './remoteAdapter.ts';
import { LlamaServerReplySchema, PropsSchema, TokenizeSchema, ModelsSchema } from './llamaServerSchemas.ts';

/** The local engine's repeat-penalty window (generation.ts): the last 64 tokens, prompt included. */
const REPEAT_LAST_N = 64;
/** Special tokens whose ids prove a Chameleon vocabulary: BOI, EOI, EOT, the first and last image code. */
const PROBE_TEXT = '<racm3:break><eoss><reserved08706>IMGIMGAZIMGIMGIBJBZ';
const PROBE_IDS = [BOI_ID, EOI_ID, EOT_ID, IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID];
const TOKENIZE_CACHE = 512;

export class LlamaServerEngine implements RemoteAdapter {
  readonly #endpoint: RemoteEndpoint;
  readonly #timeouts: RemoteTimeouts;
  readonly #answers = new AnswerCache();
  /** Text → ids; the history's texts are sent again on every turn. */
  readonly #tokenized = new Map<string, readonly number[]>();
  #model: RemoteModel | null = null;
  readonly #banned = textOnlyBannedIds().map((id) => [id, false] as const);

  constructor(endpoint: RemoteEndpoint, timeouts: RemoteTimeouts = DEFAULT_TIMEOUTS) {
    this.#endpoint = endpoint;
    this.#timeouts = timeouts;
  }

  async probe(signal?: AbortSignal): Promise<RemoteModel> {
    const host = new URL(this.#endpoint.baseUrl).host;
    const bad = (what: string): AppError => new AppError('remote.badResponse', `The engine at ${host} is not a llama.cpp server (${what}).`, { host });
    const props = PropsSchema.safeParse(await remoteJson(this.#endpoint, '/props', { method: 'GET', signal, timeouts: this.#timeouts }));
    if (!props.success) throw bad('its /props is not llama-server’s');
    const models = ModelsSchema.safeParse(await remoteJson(this.#endpoint, '/v1/models', { method: 'GET', signal, timeouts: this.#timeouts }));
    const served = models.success ? models.data.data[0] : undefined;
    if (!served) throw bad('its /v1/models lists no model');
    const vocab = served.meta?.n_vocab;
    const notChameleon = (why: string): AppError =>
      new AppError('remote.notChameleon', `The engine at ${host} serves ${served.id}, which is not a Chameleon model: ${why}.`, { host, model: served.id });
    if (vocab !== VOCAB_SIZE && vocab !== ALIASED_VOCAB_SIZE) throw notChameleon(`its vocabulary has ${vocab ?? 'an unknown number of'} tokens, Chameleon's ${VOCAB_SIZE}`);
    const probe = TokenizeSchema.safeParse(await remoteJson(this.#endpoint, '/tokenize', { method: 'POST', body: { content: PROBE_TEXT, add_special: false, parse_special: true }, signal, timeouts: this.#timeouts }));
    if (!probe.success) throw bad('its /tokenize answered otherwise');
    if (probe.data.tokens.join() !== PROBE_IDS.join()) throw notChameleon('its special and image tokens are not at Chameleon’s ids');
    if (props.data.bos_token !== undefined && props.data.bos_token !== '<s>') throw notChameleon('its BOS token is not <s>');
    this.#model = {
      id: served.id,
      vocabularySize: vocab,
      contextSize: props.data.default_generation_settings.n_ctx,
      ...(served.meta?.size ? { sizeBytes: served.meta.size } : {}),
      imageInput: 'tokenIds',
      ignoredSampling: [],
    };
    return this.#model;
  }

  async #tokenize(text: string, signal?: AbortSignal): Promise<readonly number[]> {
    const hit = this.#tokenized.get(text);
    if (hit) return hit;
    const body = { content: text, add_special: false, parse_special: false };
    const parsed = TokenizeSchema.safeParse(await remoteJson(this.#endpoint, '/tokenize', { method: 'POST', body, signal, timeouts: this.#timeouts }));
    if (!parsed.success) throw new AppError('remote.badResponse', 'The llama.cpp server answered /tokenize with something else than token ids.');
    const ids = parsed.data.tokens.filter((t): t is number => typeof t === 'number');
    if (this.#tokenized.size >= TOKENIZE_CACHE) this.#tokenized.delete(this.#tokenized.keys().next().value!);
    this.#tokenized.set(text, ids);
    return ids;
  }

  async promptTokens(turns: ChatTurn[], signal?: AbortSignal): Promise<number[]> {
    // Tokenize every text the builder will ask for (answers it knows by their ids are skipped), then build synchronously.
    for (const turn of turns) {
      const only = turn.segments.length === 1 ? turn.segments[0] : undefined;
      if (turn.role === 'assistant' && only?.type === 'text' && this.#answers.get(only.text)) continue;
      for (const s of turn.segments) if (s.type === 'text' && s.text !== '') await this.#tokenize(s.text, signal);
    }
    return buildPromptTokens(turns, (text) => this.#tokenized.get(text) ?? [], (text) => this.#answers.get(text));
  }

  async generate(request: GenerateRequest, options: RemoteGenerateOptions = {}): Promise<GenerationResult & { tokens: number[] }> {
    const started = performance.now();
    const model = this.#model ?? (await this.probe(options.signal));
    const prompt = await this.promptTokens(request.turns, options.signal);
    if (prompt.length >= model.contextSize) {
      throw new AppError('engine.contextOverflow', `The conversation is ${prompt.length} tokens long; the server's context holds ${model.contextSize}. Start a new chat or shorten it.`, {
        promptTokens: prompt.length,
        contextSize: model.contextSize,
      });
    }
    const s = request.sampling;
    const seed = s.seed ?? Math.floor(Math.random() * 0xffff_ffff);
    const body = {
      prompt,
      stream: true,
      cache_prompt: true,
      timings_per_token: true,
      return_progress: true,
      n_predict: Math.min(s.maxTokens, model.contextSize - prompt.length),
      temperature: s.temperature,
      top_p: s.topP,
      top_k: s.topK,
      min_p: s.minP,
      typical_p: 1,
      top_n_sigma: -1,
      xtc_probability: 0,
      dry_multiplier: 0,
      presence_penalty: 0,
      frequency_penalty: 0,
      mirostat: 0,
      dynatemp_range: 0,
      repeat_penalty: s.repeatPenalty,
      repeat_last_n: REPEAT_LAST_N,
      // node-llama-cpp's order for the samplers we use (chameleon.md §6.4).
      samplers: ['penalties', 'top_k', 'top_p', 'min_p', 'temperature'],
      seed,
      logit_bias: this.#banned,
      ...(s.stop && s.stop.length > 0 ? { stop: s.stop } : {}),
      ...(request.logprobs !== undefined ? { n_probs: Math.max(1, request.logprobs) } : {}),
    };
    if (request.format) throw new AppError('api.badRequest', 'Structured output (response_format) runs on the local engine only.', { param: 'response_format' });

    const tokens: number[] = [];
    const logprobs: TokenLogprob[] = [];
    let text = '';
    let stopReason = 'maxTokens' as StopReason;
    let firstTokenAt: number | null = null;
    let server: { promptN: number; promptMs: number; perSecond: number } | null = null;
    const emit = options.onEvent ?? (() => undefined);
    const opened = await remoteFetch(this.#endpoint, '/completion', { method: 'POST', body, signal: options.signal, timeouts: this.#timeouts }).catch((err: unknown) => {
      if (options.signal?.aborted) return null;
      throw err;
    });
    const result = (): GenerationResult & { tokens: number[] } => {
      const end = performance.now();
      const first = firstTokenAt ?? end;
      return {
        text,
        stopReason,
        usage: { promptTokens: prompt.length, evaluatedPromptTokens: server?.promptN ?? prompt.length, completionTokens: tokens.length },
        timings: {
          promptMs: server?.promptMs ?? first - started,
          firstTokenMs: first - started,
          totalMs: end - started,
          // The server's own decode speed when it sent one; otherwise what arrived here.
          tokensPerSecond: server && server.perSecond > 0 ? server.perSecond : tokens.length > 1 ? ((tokens.length - 1) * 1000) / Math.max(1e-6, end - first) : 0,
        },
        seed,
        ...(request.logprobs !== undefined ? { logprobs } : {}),
        tokens,
      };
    };
    if (!opened) {
      stopReason = 'aborted';
      return result();
    }
    const finished = await readSse(
      this.#endpoint,
      opened,
      (raw) => {
        const reply = LlamaServerReplySchema.safeParse(raw);
        if (!reply.success) throw new AppError('remote.badResponse', 'The llama.cpp server sent a stream packet of another shape.');
        const r = reply.data;
        if (r.error) {
          // llama-server reports a failure inside the stream (HTTP 200 already sent), e.g. its chat
          // parser refusing generated bytes that are not valid UTF-8 (README: remote engines).
          throw new AppError('remote.badResponse', `The llama.cpp server stopped the answer: ${r.error.message.slice(0, 200)}`, { status: r.error.code });
        }
        if (r.timings && r.timings.predicted_per_second !== undefined) server = { promptN: r.timings.prompt_n ?? prompt.length, promptMs: r.timings.prompt_ms ?? 0, perSecond: r.timings.predicted_per_second };
        // A progress packet's `tokens` is a placeholder, not a generated token.
        if (r.prompt_progress) {
          emit({ type: 'promptProgress', evaluated: r.prompt_progress.processed, total: r.prompt_progress.total });
          return false;
        }
        let verdict: boolean | 'stop' = false;
        for (const token of r.tokens ?? []) {
          if (firstTokenAt === null) {
            firstTokenAt = performance.now();
            emit({ type: 'promptProgress', evaluated: prompt.length, total: prompt.length });
          }
          if (token === EOS_ID) stopReason = 'eos';
          else if (token === EOT_ID) {
            stopReason = 'endOfTurn';
            verdict = 'stop';
          } else tokens.push(token);
        }
        const probs = (r.completion_probabilities ?? []).map((p) => ({
          token: p.token,
          logprob: p.logprob,
          top: (p.top_logprobs ?? []).slice(0, request.logprobs ?? 0).map((t) => ({ token: t.token, logprob: t.logprob })),
        }));
        logprobs.push(...probs);
        if (r.content) {
          text += r.content;
          emit(probs.length > 0 ? { type: 'delta', text: r.content, logprobs: probs } : { type: 'delta', text: r.content });
        }
        if (verdict === 'stop') return 'stop';
        if (r.stop) {
          if (stopReason !== 'eos') stopReason = r.stop_type === 'word' ? 'stopString' : r.stop_type === 'eos' ? 'eos' : 'maxTokens';
          return true;
        }
        return false;
      },
      { ...(options.signal ? { signal: options.signal } : {}), idleMs: this.#timeouts.idleMs },
    );
    if (!finished) stopReason = 'aborted';
    if (stopReason !== 'stopString' && stopReason !== 'aborted') this.#answers.set(text, tokens);
    return result();
  }
}
