// The preload of every window: exposes ONE small global, window.chameleon, with three functions
// (call, subscribe, stream) and never ipcRenderer itself. It runs sandboxed, so it is CommonJS and
// imports nothing but electron; the channel names repeat ipcChannels.ts (a unit test keeps the two
// equal). Names and inputs are only shape-checked here; main parses everything against api.ts.
import type { ClientTransport } from '../contract/apiClient.ts';
import type { ErrorData } from '../contract/errors.ts';
import type { CallOutcome } from '../contract/wire.ts';
import type * as Electron from 'electron';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload is CommonJS
const { contextBridge, ipcRenderer } = require('electron') as typeof Electron;

const CHANNELS = {
  call: 'chameleon:api:call',
  stream: 'chameleon:api:stream',
  event: 'chameleon:api:event',
} as const;
const NAME = /^[a-z]+\.[a-zA-Z]+$/;

/** The DOM MessagePort the preload gets (the project's type library is Node's, not the DOM's). */
interface DomMessagePort {
  onmessage: ((event: { data: unknown }) => void) | null;
  start(): void;
  close(): void;
  postMessage(message: unknown): void;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError('Invalid API name');
  return name;
}

const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(CHANNELS.event, (_event, message: { name?: unknown; payload?: unknown }) => {
  if (typeof message?.name !== 'string') return;
  for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
});

// The global is the renderer's ClientTransport itself (apiClient.ts). A refusal rejects with the
// plain { code, message, details } object: contextBridge copies plain objects intact, while an
// Error would lose its code on the way.
const bridge: ClientTransport = {
  async call(name, input) {
    const outcome = (await ipcRenderer.invoke(CHANNELS.call, { name: checkName(name), input })) as CallOutcome;
    if (!outcome.ok) return Promise.reject(outcome.error);
    return outcome.value;
  },
  subscribe(name, listener) {
    checkName(name);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    let set = listeners.get(name);
    if (!set) listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  },
  stream(name, input, receiver) {
    // One MessagePort per stream: packets never go through the shared IPC channel.
    const channel = new MessageChannel();
    const port1 = channel.port1 as unknown as DomMessagePort;
    let ended = false;
    port1.onmessage = (event) => {
      const frame = event.data as { t?: unknown; packet?: unknown; error?: ErrorData } | null;
      if (frame?.t === 'packet') receiver.packet(frame.packet);
      else if (frame?.t === 'end' && !ended) {
        ended = true;
        port1.close();
        receiver.end(frame.error);
      }
    };
    port1.start();
    ipcRenderer.postMessage(CHANNELS.stream, { name: checkName(name), input }, [channel.port2]);
    return {
      cancel() {
        if (!ended) port1.postMessage({ t: 'cancel' });
      },
    };
  },
};

contextBridge.exposeInMainWorld('chameleon', bridge);
