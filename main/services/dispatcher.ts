// Main's side of api.ts, shared by both transports: looks a name up in the contract, parses the
// input (a bad one is api.badRequest, never a ZodError), runs the handler, checks the answer, and
// turns whatever was thrown into plain ErrorData (house style rule 4).
import { z } from 'zod';
import { commands, isCommandName, isStreamName, streams, type AnyEvent, type Handlers, type StreamSink } from '../contract/api.ts';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import type { CallOutcome } from '../contract/wire.ts';

export interface OpenStream {
  cancel(): void;
  /** Settles when the handler is done and `end` was called. */
  readonly done: Promise<void>;
}

function parseInput<T extends z.ZodType>(schema: T, value: unknown, name: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('api.badRequest', `Invalid input for ${name}: ${z.prettifyError(result.error)}`);
  return result.data;
}

export class ApiDispatcher {
  readonly #handlers: Handlers;

  constructor(handlers: Handlers) {
    this.#handlers = handlers;
  }

  async call(name: unknown, input: unknown): Promise<CallOutcome> {
    try {
      if (!isCommandName(name)) throw new AppError('api.notFound', `No such command: ${JSON.stringify(name)}`);
      const def = commands[name];
      const args = parseInput(def.input, input, name);
      const handler = this.#handlers.commands[name] as (a: unknown) => unknown;
      const value = await handler(args);
      const checked = def.output.safeParse(value);
      if (!checked.success) throw new AppError('internal', `The answer to ${name} does not match the contract: ${z.prettifyError(checked.error)}`);
      return { ok: true, value: checked.data };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  /**
   * Runs a stream handler. Packets go to `send` as the handler produces them; `end` is called once,
   * with the error if the handler threw. cancel() aborts the handler's signal.
   */
  openStream(name: unknown, input: unknown, send: (packet: unknown) => void, end: (error?: ErrorData) => void): OpenStream {
    const controller = new AbortController();
    let ended = false;
    const finish = (error?: ErrorData): void => {
      if (ended) return;
      ended = true;
      end(error);
    };
    const run = async (): Promise<void> => {
      if (!isStreamName(name)) throw new AppError('api.notFound', `No such stream: ${JSON.stringify(name)}`);
      const def = streams[name];
      const args = parseInput(def.input, input, name);
      const sink: StreamSink<unknown> = {
        signal: controller.signal,
        send(packet) {
          if (ended) return;
          const checked = def.packet.safeParse(packet);
          if (!checked.success) throw new AppError('internal', `A ${name} packet does not match the contract: ${z.prettifyError(checked.error)}`);
          send(checked.data);
        },
      };
      const handler = this.#handlers.streams[name] as (a: unknown, s: StreamSink<unknown>) => Promise<void>;
      await handler(args, sink);
    };
    const done = run().then(
      () => finish(),
      (err: unknown) => finish(toErrorData(err)),
    );
    return { cancel: () => controller.abort(), done };
  }

  subscribe(listener: (event: AnyEvent) => void): () => void {
    return this.#handlers.subscribe(listener);
  }
}
