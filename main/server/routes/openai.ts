// The OpenAI-compatible endpoints: GET /v1/models and POST /v1/chat/completions (streamed over
// SSE or not). Each request is its own engine session (OpenAI requests are stateless); the engine
// still reuses its KV cache for a shared prompt prefix, so a growing conversation only evaluates
// the new turns. Requests queue in the engine, one generation at a time.
import { randomUUID } from 'node:crypto';
import { AppError, toErrorData } from '../../contract/errors.ts';
import type { DefaultSampling, GenerationResult } from '../../contract/engine.ts';
import type { Route, RequestContext } from '../httpServer.ts';
import { sendJson } from '../httpErrors.ts';
import type { ModelState } from '../../services/modelState.ts';
import { SseWriter } from '../sse.ts';
import { imageInputUnavailable, messagesToTurns, parseChatCompletionRequest, toAnswerMode, toOutputOptions, toSampling, type ImageInput } from '../openai/chatRequest.ts';
import { AnswerParts, type ImageOutput } from '../openai/imageOutput.ts';
import { imageGenerations } from './openaiImages.ts';
import { chunkBody, completionBody, finishReason, usageChunkBody, type CompletionMeta } from '../openai/chatResponse.ts';

export interface CompletionLog {
  id: string;
  stream: boolean;
  result: GenerationResult;
}

export interface OpenAiRoutesOptions {
  /** The app's live model state: what the UI loads is what the API serves. */
  model: ModelState;
  /** The settings' sampling defaults, read per request (they change in Settings). */
  sampling: () => DefaultSampling;
  imageInput?: ImageInput;
  /** Image output (mode image/interleaved, /v1/images/generations); absent: refused. */
  imageOutput?: ImageOutput;
  /** Called once per finished generation (the CLI prints a line; tests check aborts). */
  onCompletion?: (log: CompletionLog) => void;
}

export function openAiRoutes(options: OpenAiRoutesOptions): Route[] {
  return [
    { method: 'GET', path: '/v1/models', handle: (ctx) => listModels(ctx, options) },
    { method: 'POST', path: '/v1/chat/completions', handle: (ctx) => chatCompletions(ctx, options) },
    { method: 'POST', path: '/v1/images/generations', handle: (ctx) => imageGenerations(ctx, options) },
  ];
}

/** The model being loaded counts: the list waits for its load, as a completion would. */
async function listModels(ctx: RequestContext, options: OpenAiRoutesOptions): Promise<void> {
  await options.model.settled();
  const model = options.model.served;
  const data = model ? [{ id: model.id, object: 'model', created: model.created, owned_by: 'local' }] : [];
  sendJson(ctx.res, 200, { object: 'list', data });
}

async function chatCompletions(ctx: RequestContext, options: OpenAiRoutesOptions): Promise<void> {
  const request = parseChatCompletionRequest(await ctx.readJson());
  const turns = await messagesToTurns(request.messages, options.imageInput ?? imageInputUnavailable);
  const sampling = toSampling(request, options.sampling());
  await options.model.settled();
  const meta: CompletionMeta = {
    id: `chatcmpl-${randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: options.model.served?.id ?? '',
  };
  const answerMode = toAnswerMode(request);
  const draws = answerMode.mode !== undefined && answerMode.mode !== 'text';
  const vqganWeightsPath = draws ? drawingWeights(options) : undefined;
  const generate = { sessionId: meta.id, turns, sampling, ...toOutputOptions(request), ...answerMode, ...(vqganWeightsPath ? { vqganWeightsPath } : {}) };
  const answer = new AnswerParts(options.imageOutput);

  if (!request.stream) {
    const result = await options.model.generate(generate, { signal: ctx.signal, onEvent: (event) => void answer.push(event) });
    await answer.settled();
    options.onCompletion?.({ id: meta.id, stream: false, result });
    if (result.stopReason === 'aborted') return; // the client is gone
    if (result.stopReason === 'crashed') {
      const error = result.error ?? { code: 'engine.crashed', message: 'The inference process stopped unexpectedly.' };
      throw new AppError(error.code, error.message, { ...error.details, partialText: result.text });
    }
    sendJson(ctx.res, 200, completionBody(meta, result, answer.hasImages ? answer.parts : result.text));
    return;
  }

  const sse = new SseWriter(ctx.res);
  // The first chunk (role only) goes out when the engine starts on the prompt: errors before that
  // (no model, context overflow, busy) still get a real HTTP status.
  const begin = (): void => {
    if (!sse.started) sse.send(chunkBody(meta, { role: 'assistant', content: '' }, null));
  };
  let result: GenerationResult;
  try {
    result = await options.model.generate(generate, {
      signal: ctx.signal,
      onEvent: (event) => {
        if (event.type === 'promptProgress') begin();
        else if (event.type === 'delta' && (event.text !== '' || event.logprobs)) {
          answer.push(event);
          begin();
          sse.send(chunkBody(meta, { content: event.text }, null, event.logprobs));
        } else if (event.type === 'image') {
          // An image arrives whole, as a one-part content array (text deltas stay strings).
          const part = answer.push(event);
          begin();
          if (part && typeof part !== 'string') sse.send(chunkBody(meta, { content: [part] }, null));
        }
      },
    });
  } catch (err) {
    if (!sse.started) throw err;
    sse.fail(toErrorData(err));
    return;
  }
  await answer.settled();
  options.onCompletion?.({ id: meta.id, stream: true, result });
  if (result.stopReason === 'aborted') return;
  begin();
  if (result.stopReason === 'crashed') {
    sse.fail(result.error ?? { code: 'engine.crashed', message: 'The inference process stopped unexpectedly.' });
    return;
  }
  sse.send(chunkBody(meta, {}, finishReason(result.stopReason)));
  if (request.stream_options?.include_usage) sse.send(usageChunkBody(meta, result));
  sse.done();
}

/** The decoder weights for an answer that draws; refused up front when the server cannot draw. */
export function drawingWeights(options: Pick<OpenAiRoutesOptions, 'imageOutput'>): string {
  if (!options.imageOutput) throw new AppError('model.noImageOutput', 'This server cannot generate images.');
  return options.imageOutput.weightsPath();
}
