// Coded errors → HTTP. Every error leaves the server as an OpenAI-shaped body
// `{ error: { message, type, code, param } }` whose `code` is our namespaced ErrorCode, so OpenAI
// clients surface it (the `openai` package exposes it as `err.code`) and our own tools branch on it.
import type { ServerResponse } from 'node:http';
import { toErrorData, type ErrorCode, type ErrorData } from '../contract/errors.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  'api.badRequest': 400,
  'api.unauthorized': 401,
  'api.forbiddenOrigin': 403,
  'api.notFound': 404,
  'api.methodNotAllowed': 405,
  'api.payloadTooLarge': 413,
  // The server has no model to answer with: a server-side condition, not a bad request.
  'api.noModel': 503,
  'image.inputUnavailable': 400,
  'image.corrupt': 400,
  'image.unsupported': 400,
  'image.empty': 400,
  'image.tooLarge': 413,
  'image.remoteUrl': 400,
  // The server was not given VQ-GAN weights: a server-side condition, like api.noModel.
  'image.tokenizerMissing': 503,
  'vqgan.weightsNotFound': 503,
  'vqgan.weightsInvalid': 503,
  'vqgan.missingTensor': 503,
  'vqgan.badTensorShape': 503,
  'engine.contextOverflow': 400,
  // One answer per conversation at a time; OpenAI clients know 429 as "try again later".
  'engine.busy': 429,
  // The inference process died: it sits behind us like an upstream server.
  'engine.crashed': 502,
  'engine.aborted': 503,
  'engine.gpuUnavailable': 503,
  // The chosen GPU backend crashed on this machine: a server-side condition until settings change.
  'engine.gpuCrashed': 503,
  'model.notFound': 503,
  'model.corrupt': 503,
  'model.notChameleon': 503,
  'model.noImageVocabulary': 503,
  'model.loadFailed': 503,
  'model.loadCancelled': 503,
  'model.notLoaded': 503,
  // Drawing needs an aliased GGUF and decoder weights: the server's setup, not the request.
  'model.noImageOutput': 503,
  'settings.invalid': 500,
  // Transcripts (routes/transcripts.ts): a bad upload is the client's; no Chromium is the server's.
  'import.invalid': 400,
  'import.unknownFormat': 400,
  'import.unsupportedVersion': 400,
  'import.tooLarge': 413,
  'export.pdfUnavailable': 503,
  'store.notFound': 404,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** OpenAI's error `type` for a status, so clients that switch on it behave sensibly. */
function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status < 500) return 'invalid_request_error';
  return 'server_error';
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: ErrorCode; param: string | null; details?: Record<string, unknown> };
}

export function openAiErrorBody(error: ErrorData): OpenAiErrorBody {
  const param = typeof error.details?.param === 'string' ? error.details.param : null;
  return {
    error: {
      message: error.message,
      type: openAiType(httpStatusFor(error.code)),
      code: error.code,
      param,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Answers with the coded error. `x-should-retry: false` stops the official OpenAI clients from
 * silently retrying 5xx answers: a missing model or a crashed engine will not heal in 500 ms.
 */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const data = toErrorData(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, httpStatusFor(data.code), openAiErrorBody(data), { 'x-should-retry': 'false', ...headers });
}
