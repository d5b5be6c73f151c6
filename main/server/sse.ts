// A Server-Sent Events writer in OpenAI's streaming dialect: `data: <json>\n\n` per chunk, an
// error as `data: {"error": …}` (the official clients throw it as an APIError), `data: [DONE]` last.
// Headers go out with the first event, so failures before any output still get a real HTTP status.
import type { ServerResponse } from 'node:http';
import type { ErrorData } from '../contract/errors.ts';
import { openAiErrorBody } from './httpErrors.ts';

export class SseWriter {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get started(): boolean {
    return this.#res.headersSent;
  }

  /** False once the client has gone away. */
  get open(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded;
  }

  send(data: unknown): void {
    this.#write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Report an error inside the stream and end it. */
  fail(error: ErrorData): void {
    this.send(openAiErrorBody(error));
    this.#end();
  }

  done(): void {
    this.#write('data: [DONE]\n\n');
    this.#end();
  }

  #write(text: string): void {
    if (!this.open) return;
    if (!this.#res.headersSent) {
      this.#res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
    }
    this.#res.write(text);
  }

  #end(): void {
    if (this.open) this.#res.end();
  }
}
