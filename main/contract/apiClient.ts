// The renderer's typed client for api.ts, over any ClientTransport (the Electron preload global or
// the browser-mode WebSocket). Inputs are checked before they leave, answers and packets when they
// arrive, so a mismatch shows up as a coded error at the edge, not deep in the UI.
import { z } from 'zod';
import {
  commands,
  events,
  streams,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type EventName,
  type EventPayload,
  type StreamInput,
  type StreamName,
  type StreamPacket,
} from './api.ts';
import { AppError, toErrorData, type ErrorData } from './errors.ts';

/** Receives one stream's packets; `end` comes exactly once. */
export interface StreamReceiver {
  packet(packet: unknown): void;
  end(error?: ErrorData): void;
}

/** What a transport must provide: untyped, the client adds the types and the checks. */
export interface ClientTransport {
  /** Resolves with the raw answer; rejects with an AppError (or anything toErrorData understands). */
  call(name: string, input: unknown): Promise<unknown>;
  subscribe(name: string, listener: (payload: unknown) => void): () => void;
  /** Opens a stream; `cancel` sends the stream's one packet back. */
  stream(name: string, input: unknown, receiver: StreamReceiver): { cancel(): void };
}

/** A running stream: iterate its packets; cancel() asks main to stop (packets up to the end still arrive). */
export interface ApiStream<P> extends AsyncIterable<P> {
  cancel(): void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- "are all fields optional?"
type MaybeArgs<K extends CommandName> = {} extends CommandInput<K> ? [input?: CommandInput<K>] : [input: CommandInput<K>];

export interface ApiClient {
  call<K extends CommandName>(name: K, ...input: MaybeArgs<K>): Promise<CommandOutput<K>>;
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
  stream<K extends StreamName>(name: K, input: StreamInput<K>): ApiStream<StreamPacket<K>>;
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('api.badRequest', `${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

export function createApiClient(transport: ClientTransport): ApiClient {
  return {
    async call(name, ...rest) {
      const def = commands[name];
      const input = parseOrThrow(def.input, rest[0] ?? {}, `Invalid input for ${name}`);
      let raw: unknown;
      try {
        raw = await transport.call(name, input);
      } catch (err) {
        throw err instanceof AppError ? err : AppError.fromData(toErrorData(err));
      }
      return parseOrThrow(def.output, raw, `Unexpected answer to ${name}`) as CommandOutput<typeof name>;
    },

    on(name, listener) {
      const schema = events[name];
      return transport.subscribe(name, (payload) => {
        const parsed = schema.safeParse(payload);
        // An event that does not match is dropped: a listener must never see a wrong shape.
        if (parsed.success) listener(parsed.data as EventPayload<typeof name>);
      });
    },

    stream(name, input) {
      const def = streams[name];
      const args = parseOrThrow(def.input, input, `Invalid input for ${name}`);
      type P = StreamPacket<typeof name>;
      const queue: P[] = [];
      let ended = false;
      let failure: AppError | undefined;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        wake?.();
        wake = undefined;
      };
      const handle = transport.stream(name, args, {
        packet(raw) {
          if (ended) return;
          const parsed = def.packet.safeParse(raw);
          if (parsed.success) queue.push(parsed.data as P);
          else failure = new AppError('api.badRequest', `Unexpected packet in ${name}: ${z.prettifyError(parsed.error)}`);
          notify();
        },
        end(error) {
          if (ended) return;
          ended = true;
          if (error && !failure) failure = AppError.fromData(error);
          notify();
        },
      });
      return {
        cancel: () => {
          if (!ended) handle.cancel();
        },
        async *[Symbol.asyncIterator]() {
          try {
            for (;;) {
              while (queue.length > 0) yield queue.shift()!;
              if (failure) throw failure;
              if (ended) return;
              await new Promise<void>((resolve) => (wake = resolve));
            }
          } finally {
            // A consumer that stops iterating early no longer wants the answer.
            if (!ended) handle.cancel();
          }
        },
      };
    },
  };
}
