// Main's end of the Electron transport: api.ts commands over invoke, streams over one
// MessagePort each, events pushed to every window. Every message's sender is checked first:
// only the app's own top-level page may talk to main.
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, MessagePortMain, WebContents, WebFrameMain } from 'electron';
import type { Handlers } from '../contract/api.ts';
import type { CallOutcome } from '../contract/wire.ts';
import { ApiDispatcher } from '../services/dispatcher.ts';
import { IPC_CHANNELS } from './ipcChannels.ts';
import { isTrustedSender } from './security.ts';

function frameInfo(frame: WebFrameMain | null | undefined): { url: string | undefined; isTopLevel: boolean } | null {
  if (!frame) return null;
  try {
    return { url: frame.url, isTopLevel: frame.parent === null };
  } catch {
    return null; // the frame was destroyed (navigated away, window closed)
  }
}

const FORBIDDEN: CallOutcome = { ok: false, error: { code: 'api.forbiddenOrigin', message: 'Only the app window may call the app.' } };

function message(value: unknown): { name: unknown; input: unknown } {
  const m = (typeof value === 'object' && value !== null ? value : {}) as { name?: unknown; input?: unknown };
  return { name: m.name, input: m.input };
}

export interface IpcBridge {
  /** Pushes events to this window until it is closed. */
  addWindow(contents: WebContents): void;
  dispose(): void;
}

export function startIpcBridge(ipcMain: IpcMain, handlers: Handlers, onRefused: (what: string, url: string | undefined) => void): IpcBridge {
  const dispatcher = new ApiDispatcher(handlers);
  const cancels = new Set<() => void>();

  ipcMain.handle(IPC_CHANNELS.call, async (event: IpcMainInvokeEvent, raw: unknown) => {
    const frame = frameInfo(event.senderFrame);
    if (!isTrustedSender(frame)) {
      onRefused('call', frame?.url);
      return FORBIDDEN;
    }
    const { name, input } = message(raw);
    return dispatcher.call(name, input);
  });

  ipcMain.on(IPC_CHANNELS.stream, (event: IpcMainEvent, raw: unknown) => {
    const port: MessagePortMain | undefined = event.ports[0];
    if (!port) return;
    const frame = frameInfo(event.senderFrame);
    if (!isTrustedSender(frame)) {
      onRefused('stream', frame?.url);
      port.postMessage({ t: 'end', error: FORBIDDEN.ok ? undefined : FORBIDDEN.error });
      port.close();
      return;
    }
    const { name, input } = message(raw);
    let open = true;
    const stream = dispatcher.openStream(
      name,
      input,
      (packet) => {
        if (open) port.postMessage({ t: 'packet', packet });
      },
      (error) => {
        if (!open) return;
        open = false;
        port.postMessage(error ? { t: 'end', error } : { t: 'end' });
        port.close();
      },
    );
    const cancel = (): void => stream.cancel();
    cancels.add(cancel);
    void stream.done.finally(() => cancels.delete(cancel));
    port.on('message', (e) => {
      if ((e.data as { t?: unknown } | null)?.t === 'cancel') stream.cancel();
    });
    // The page went away (reload, close): the answer stops, its text stays stored.
    port.on('close', () => {
      open = false;
      stream.cancel();
    });
    port.start();
  });

  const unsubscribes = new Set<() => void>();
  return {
    addWindow(contents) {
      const off = dispatcher.subscribe((event) => {
        if (!contents.isDestroyed()) contents.send(IPC_CHANNELS.event, { name: event.name, payload: event.payload });
      });
      unsubscribes.add(off);
      contents.once('destroyed', () => {
        off();
        unsubscribes.delete(off);
      });
    },
    dispose() {
      ipcMain.removeHandler(IPC_CHANNELS.call);
      ipcMain.removeAllListeners(IPC_CHANNELS.stream);
      for (const cancel of cancels) cancel();
      for (const off of unsubscribes) off();
      unsubscribes.clear();
    },
  };
}
