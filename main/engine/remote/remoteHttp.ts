// HTTP to a remote engine, with its failures as coded errors: no connection → remote.unreachable,
// 401/403 → remote.unauthorized, no answer in time → remote.timeout, a stream that breaks before
// its last packet → remote.disconnected, anything else unexpected → remote.badResponse. The API key
// goes in the Authorization header only; it is never put in an error, a log line or a detail. Error
// messages name the address and the HTTP status, never the body (it could hold anything).
import { AppError } from '../../contract/errors.ts';

export interface RemoteEndpoint {
  baseUrl: string;
  apiKey?: string;
}

export interface RemoteTimeouts {
  /** Until the response headers arrive (a short request, or the start of a stream). */
  requestMs: number;
  /** The longest silence inside a stream (prompt processing sends progress packets). */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: RemoteTimeouts = { requestMs: 30_000, idleMs: 300_000 };

export function endpointUrl(endpoint: RemoteEndpoint, path: string): string {
  return `${endpoint.baseUrl.replace(/\/+$/, '')}${path}`;
}

function where(endpoint: RemoteEndpoint): string {
  return new URL(endpoint.baseUrl).host;
}

/** The caller's own abort (a stop), as opposed to our timeouts: passed through as an AbortError. */
export function isUserAbort(err: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true && (err as Error)?.name === 'AbortError';
}

function connectionError(err: unknown, endpoint: RemoteEndpoint, timedOut: boolean, midStream: boolean): AppError {
  const host = where(endpoint);
  if (timedOut) return new AppError('remote.timeout', `The engine at ${host} did not answer in time.`, { host });
  if (midStream) return new AppError('remote.disconnected', `The connection to the engine at ${host} broke in the middle of the answer.`, { host });
  const cause = (err as { cause?: { code?: string } })?.cause?.code;
  return new AppError('remote.unreachable', `No connection to the engine at ${host}${cause ? ` (${cause})` : ''}.`, { host, ...(cause ? { cause } : {}) });
}

/**
 * One request. `signal` is the caller's (a stop): its abort comes back as an AbortError. The
 * request timeout covers the wait for the headers; the returned stream is the caller's to read
 * with readSse (which applies the idle timeout).
 */
export async function remoteFetch(
  endpoint: RemoteEndpoint,
  path: string,
  init: { method: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal; timeouts?: RemoteTimeouts },
): Promise<{ response: Response; controller: AbortController }> {
  const timeouts = init.timeouts ?? DEFAULT_TIMEOUTS;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(init.signal?.reason);
  if (init.signal?.aborted) controller.abort(init.signal.reason);
  init.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeouts.requestMs);
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  try {
    const response = await fetch(endpointUrl(endpoint, path), {
      method: init.method,
      headers,
      signal: controller.signal,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new AppError('remote.unauthorized', `The engine at ${where(endpoint)} refused the API key (HTTP ${response.status}).`, { host: where(endpoint), status: response.status });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new AppError('remote.badResponse', `The engine at ${where(endpoint)} answered ${path} with HTTP ${response.status}.`, { host: where(endpoint), status: response.status, path });
    }
    return { response, controller };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isUserAbort(err, init.signal)) throw err;
    throw connectionError(err, endpoint, timedOut, false);
  } finally {
    clearTimeout(timer);
    init.signal?.removeEventListener('abort', onAbort);
  }
}

/** A short JSON request/answer (probes, tokenize). */
export async function remoteJson(endpoint: RemoteEndpoint, path: string, init: { method: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal; timeouts?: RemoteTimeouts }): Promise<unknown> {
  const { response } = await remoteFetch(endpoint, path, init);
  try {
    return await response.json();
  } catch (err) {
    if (isUserAbort(err, init.signal)) throw err;
    throw new AppError('remote.badResponse', `The engine at ${where(endpoint)} answered ${path} with something that is not JSON.`, { host: where(endpoint), path });
  }
}

/**
 * Reads a server-sent-events body, handing each `data:` payload (parsed JSON) to `onData` until it
 * returns true (the last packet) or the stream ends. A stream that ends or breaks before the last
 * packet is remote.disconnected; silence longer than idleMs is remote.timeout; the caller's abort
 * ends the read quietly (resolves false).
 */
export async function readSse(
  endpoint: RemoteEndpoint,
  opened: { response: Response; controller: AbortController },
  onData: (data: unknown) => boolean | 'stop',
  options: { signal?: AbortSignal; idleMs: number },
): Promise<boolean> {
  const body = opened.response.body;
  if (!body) throw new AppError('remote.badResponse', `The engine at ${where(endpoint)} sent no stream.`, { host: where(endpoint) });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      opened.controller.abort();
    }, options.idleMs);
  };
  const onAbort = (): void => opened.controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let buffer = '';
  try {
    arm();
    for (;;) {
      if (options.signal?.aborted) return false;
      const { value, done } = await reader.read();
      if (done) break;
      arm();
      buffer += value;
      let cut: number;
      while ((cut = buffer.search(/\r?\n\r?\n/)) !== -1) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
        const data = event
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data === '' || data === '[DONE]') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(data);
        } catch {
          throw new AppError('remote.badResponse', `The engine at ${where(endpoint)} sent a stream packet that is not JSON.`, { host: where(endpoint) });
        }
        const verdict = onData(parsed);
        if (verdict === true) return true;
        if (verdict === 'stop') {
          // We have what we need (a stop token the server does not know): hang up, it stops too.
          opened.controller.abort();
          return true;
        }
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (options.signal?.aborted) return false;
    throw connectionError(err, endpoint, timedOut, true);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
  if (options.signal?.aborted) return false;
  throw new AppError('remote.disconnected', `The engine at ${where(endpoint)} ended the stream before the answer was complete.`, { host: where(endpoint) });
}
