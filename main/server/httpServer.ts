// The local HTTP server: node:http bound to 127.0.0.1, with admission (Host/Origin guard, bearer
// key) in front of a flat route table. Feature modules contribute routes (routes/openai.ts now;
// the browser UI's static files and the WebSocket transport later) without touching this file.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import { assertAuthorized, assertLocalOrigin, assertSingleHeaders, redactedUrl } from './auth.ts';
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from './body.ts';
import { sendError } from './httpErrors.ts';
import type { RequestLogEntry } from '../contract/api.ts';

export const HOST = '127.0.0.1';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal;
  /** The body parsed as JSON (bounded; malformed → api.badRequest, too big → api.payloadTooLarge). */
  readJson(): Promise<unknown>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, e.g. `/v1/models`. */
  path: string;
  /** Skip the API key (static files of the browser UI will need this); the Host/Origin guard always runs. */
  public?: boolean;
  handle(ctx: RequestContext): Promise<void> | void;
}

export interface LocalHttpServerOptions {
  routes: readonly Route[];
  apiKey: string;
  maxBodyBytes?: number;
  /** Errors that reach the top of a request (diagnostics; the client already got its answer). */
  /** A failed request, for the log: its path has key-like query values redacted. */
  onError?: (error: ErrorData, request: { method: string; path: string }) => void;
  /** Every answered request except the browser UI's public files (the server panel's list). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export class LocalHttpServer {
  readonly #server: Server;
  readonly #routes: readonly Route[];
  readonly #apiKey: string;
  readonly #maxBodyBytes: number;
  readonly #onError: LocalHttpServerOptions['onError'];
  readonly #onRequest: LocalHttpServerOptions['onRequest'];
  #port = 0;

  constructor(options: LocalHttpServerOptions) {
    this.#routes = options.routes;
    this.#apiKey = options.apiKey;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#onError = options.onError;
    this.#onRequest = options.onRequest;
    this.#server = createServer({ noDelay: true }, (req, res) => {
      void this.#handle(req, res);
    });
  }

  /** Port 0 picks a free port; the real one is returned and kept in `port`. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(port, HOST, () => {
        this.#server.off('error', onError);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve(this.#port);
      });
    });
  }

  get port(): number {
    return this.#port;
  }

  /** The node:http server, for transports that take over upgraded connections (the WebSocket API). */
  get nodeServer(): Server {
    return this.#server;
  }

  get url(): string {
    return `http://${HOST}:${this.#port}`;
  }

  async dispose(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // Streams in progress and idle keep-alive sockets would otherwise hold close() open.
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    const at = Date.now();
    const started = performance.now();
    let route: Route | undefined;
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
      // Only the path: a query may carry a key (redactedUrl is for whole URLs in the log).
      if (!route?.public) this.#onRequest?.({ method: req.method ?? '?', path: (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/', status: res.statusCode, durationMs: performance.now() - started, at });
    });
    try {
      assertSingleHeaders(req.rawHeaders);
      assertLocalOrigin(req.headers, this.#port);
      const url = new URL(req.url ?? '/', `http://${HOST}:${this.#port}`);
      route = this.#route(req, url);
      if (!route?.public) assertAuthorized(req.headers, this.#apiKey);
      if (!route) throw this.#noRoute(req, url);
      await route.handle({
        req,
        res,
        url,
        signal: controller.signal,
        readJson: () => readJsonBody(req, this.#maxBodyBytes),
      });
    } catch (err) {
      const error = toErrorData(err);
      if (!req.complete) {
        // We answer before reading the whole body (too large, unauthorized): discard the rest so
        // the client gets to read our answer, then drop the connection.
        req.resume();
        sendError(res, error, { connection: 'close' });
      } else {
        sendError(res, error);
      }
      this.#onError?.(error, { method: req.method ?? '?', path: redactedUrl(req.url ?? '') });
    }
  }

  #route(req: IncomingMessage, url: URL): Route | undefined {
    return this.#routes.find((r) => r.path === url.pathname && r.method === req.method);
  }

  #noRoute(req: IncomingMessage, url: URL): AppError {
    const methods = this.#routes.filter((r) => r.path === url.pathname).map((r) => r.method);
    if (methods.length > 0) {
      return new AppError('api.methodNotAllowed', `${req.method ?? '?'} is not allowed on ${url.pathname}; use ${methods.join(', ')}.`, {
        allowed: methods,
      });
    }
    return new AppError('api.notFound', `No such endpoint: ${req.method ?? '?'} ${url.pathname}.`);
  }
}
