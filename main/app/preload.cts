// The preload of every window: exposes ONE small global, window.chameleon, with three functions
// (call, subscribe, stream) and never ipcRenderer itself. It runs sandboxed, so it is CommonJS and
// imports nothing but electron; the channel names repeat ipcChannels.ts (a unit test keeps the two
// equal). Names and inputs are only shape-checked here; main parses everything against api.ts.
import type { CallOutcome } from '../contract/wire.ts';
import type { ErrorData } from '../contract/errors.ts';
import type { PreloadBridge } from '../contract/ipcClientTransport.ts';
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

const bridge: PreloadBridge = {
  call(name, input) {
    return ipcRenderer.invoke(CHANNELS.call, { name: checkName(name), input }) as Promise<CallOutcome>;
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
  stream(name, input, onPacket, onEnd) {
    // One MessagePort per stream: packets never go through the shared IPC channel.
    const channel = new MessageChannel();
    const port1 = channel.port1 as unknown as DomMessagePort;
    let ended = false;
    port1.onmessage = (event) => {
      const frame = event.data as { t?: unknown; packet?: unknown; error?: ErrorData } | null;
      if (frame?.t === 'packet') onPacket(frame.packet);
      else if (frame?.t === 'end' && !ended) {
        ended = true;
        port1.close();
        onEnd(frame.error);
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
