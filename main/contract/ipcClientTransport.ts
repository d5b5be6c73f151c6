// The Electron window's ClientTransport: a thin adapter over the one global the preload exposes
// (window.chameleon). The preload only moves data; names and shapes are checked by the client
// (apiClient.ts) here and by the dispatcher in main.
import type { ClientTransport } from './apiClient.ts';
import { AppError, type ErrorData } from './errors.ts';
import type { CallOutcome } from './wire.ts';

/** What preload.cts exposes as `window.chameleon`. */
export interface PreloadBridge {
  call(name: string, input: unknown): Promise<CallOutcome>;
  subscribe(name: string, listener: (payload: unknown) => void): () => void;
  stream(name: string, input: unknown, onPacket: (packet: unknown) => void, onEnd: (error?: ErrorData) => void): { cancel(): void };
}

export function ipcTransport(bridge: PreloadBridge): ClientTransport {
  return {
    async call(name, input) {
      const outcome = await bridge.call(name, input);
      if (!outcome.ok) throw AppError.fromData(outcome.error);
      return outcome.value;
    },
    subscribe: (name, listener) => bridge.subscribe(name, listener),
    stream: (name, input, receiver) =>
      bridge.stream(
        name,
        input,
        (packet) => receiver.packet(packet),
        (error) => receiver.end(error),
      ),
  };
}
