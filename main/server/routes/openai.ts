// The OpenAI-compatible endpoints: GET /v1/models and POST /v1/chat/completions (streamed over
// SSE or not). Each request is its own engine session (OpenAI requests are stateless); the engine
// still reuses its KV cache for a shared prompt prefix, so a growing conversation only evaluates
// the new turns. Requests queue in the engine, one generation at a time.
import { randomUUID } from 'node:crypto';
import { AppError, toErrorData } from '../../contract/errors.ts';
import type { DefaultSampling, GenerationResult } from '../../contract/engine.ts';
import type { Route, RequestContext } from '../httpServer.ts';
import { sendJson } from '../httpErrors.ts';
import type { ModelService } from '../../services/modelService.ts';
import { SseWriter } from '../sse.ts';
import { imageInputUnavailable, messagesToTurns, parseChatCompletionRequest, toSampling, type ImageInput } from '../openai/chatRequest.ts';
import { chunkBody, completionBody, finishReason, usageChunkBody, type CompletionMeta } from '../openai/chatResponse.ts';

export interface CompletionLog {
  id: string;
  stream: boolean;
  result: GenerationResult;
}

export interface OpenAiRoutesOptions {
  /** The app's live model state: what the UI loads is what the API serves. */
  model: ModelService;
  /** The settings' sampling defaults, read per request (they change in Settings). */
  sampling: () => DefaultSampling;
  imageInput?: ImageInput;
  /** Called once per finished generation (the CLI prints a line; tests check aborts). */
  onCompletion?: (log: CompletionLog) => void;
}

export function openAiRoutes(options: OpenAiRoutesOptions): Route[] {
  return [
    { method: 'GET', path: '/v1/models', handle: (ctx) => listModels(ctx, options) },
    { method: 'POST', path: '/v1/chat/completions', handle: (ctx) => chatCompletions(ctx, options) },
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
  const generate = { sessionId: meta.id, turns, sampling };

  if (!request.stream) {
    const result = await options.model.generate(generate, { signal: ctx.signal });
    options.onCompletion?.({ id: meta.id, stream: false, result });
    if (result.stopReason === 'aborted') return; // the client is gone
    if (result.stopReason === 'crashed') {
      const error = result.error ?? { code: 'engine.crashed', message: 'The inference process stopped unexpectedly.' };
      throw new AppError(error.code, error.message, { ...error.details, partialText: result.text });
    }
    sendJson(ctx.res, 200, completionBody(meta, result));
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
        else if (event.type === 'delta' && event.text !== '') {
          begin();
          sse.send(chunkBody(meta, { content: event.text }, null));
        }
      },
    });
  } catch (err) {
    if (!sse.started) throw err;
    sse.fail(toErrorData(err));
    return;
  }
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
