// The browser mode's ClientTransport: one WebSocket to the local server, authenticated with the
// bearer key as a subprotocol (see wire.ts). Takes the WebSocket constructor as a parameter, so
// the same code runs on the browser's WebSocket and, in tests, on the `ws` package.
import { AppError, type ErrorData } from './errors.ts';
import type { ClientTransport, StreamReceiver } from './apiClient.ts';
import { SESSION_PATH, ServerFrameSchema, WIRE_PROTOCOL, WS_KEY_PROTOCOL_PREFIX, type ClientFrame } from './wire.ts';

/** The slice of the WHATWG WebSocket this transport uses (the browser's and ws's both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: () => void): void;
}
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

export interface WsClientTransport extends ClientTransport {
  /** Resolves once the server accepted the key; rejects with api.unauthorized or a connection error. */
  readonly ready: Promise<void>;
  /** Called once when the socket closes, with why (an unauthorized close has code api.unauthorized). */
  onClose(listener: (error: ErrorData) => void): void;
  close(): void;
}

const OPEN = 1;

export function connectWebSocket(WebSocketImpl: WebSocketConstructor, url: string, apiKey: string): WsClientTransport {
  const socket = new WebSocketImpl(url, [WIRE_PROTOCOL, `${WS_KEY_PROTOCOL_PREFIX}${apiKey}`]);
  let nextId = 1;
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: AppError) => void }>();
  const receivers = new Map<number, StreamReceiver>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const closeListeners: ((error: ErrorData) => void)[] = [];
  let closedWith: ErrorData | undefined;
  let accepted = false;
  let markReady: () => void = () => undefined;

  const ready = new Promise<void>((resolve, reject) => {
    markReady = () => {
      accepted = true;
      resolve();
    };
    let closing = false;
    const onGone = (event: { code: number; reason: string }): void => {
      if (closing) return;
      closing = true;
      void whyClosed(event).then((error) => closeWith(error));
    };
    socket.addEventListener('close', onGone);
    // A refused handshake: browsers follow 'error' with 'close' (1006), Node's WebSocket may not.
    socket.addEventListener('error', () => {
      if (!accepted) onGone({ code: 1006, reason: '' });
    });
    const closeWith = (error: ErrorData): void => {
      closedWith = error;
      reject(AppError.fromData(error));
      for (const pending of calls.values()) pending.reject(AppError.fromData(error));
      calls.clear();
      for (const receiver of receivers.values()) receiver.end(error);
      receivers.clear();
      for (const l of closeListeners) l(error);
    };
  });

  /** A socket that closed before the server's hello was refused at the upgrade: ask whether the key is why. */
  async function whyClosed(event: { code: number; reason: string }): Promise<ErrorData> {
    const closed: ErrorData = { code: 'engine.aborted', message: `The connection to Chameleon closed (${event.code}${event.reason ? `: ${event.reason}` : ''}).` };
    if (accepted) return closed;
    try {
      const res = await fetch(new URL(SESSION_PATH, url.replace(/^ws/, 'http')), { headers: { authorization: `Bearer ${apiKey}` } });
      if (res.status === 401) return { code: 'api.unauthorized', message: 'The API key was refused.' };
    } catch {
      // The server is not there at all.
    }
    return closed;
  }
  // The rejection is reported through `ready`'s users and onClose; an unobserved one is not an error.
  ready.catch(() => undefined);

  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return;
    }
    const parsed = ServerFrameSchema.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    switch (frame.t) {
      case 'hello':
        markReady();
        return;
      case 'result': {
        const pending = calls.get(frame.id);
        calls.delete(frame.id);
        if (frame.ok) pending?.resolve(frame.value);
        else pending?.reject(AppError.fromData(frame.error));
        return;
      }
      case 'packet':
        receivers.get(frame.id)?.packet(frame.packet);
        return;
      case 'end': {
        const receiver = receivers.get(frame.id);
        receivers.delete(frame.id);
        receiver?.end(frame.error);
        return;
      }
      case 'event':
        for (const l of listeners.get(frame.name) ?? []) l(frame.payload);
        return;
    }
  });

  const send = (frame: ClientFrame): void => {
    if (accepted && socket.readyState === OPEN) socket.send(JSON.stringify(frame));
    else void ready.then(() => socket.send(JSON.stringify(frame)), () => undefined);
  };

  return {
    ready,
    onClose(listener) {
      if (closedWith) listener(closedWith);
      else closeListeners.push(listener);
    },
    close: () => socket.close(1000, 'client closed'),
    call(name, input) {
      if (closedWith) return Promise.reject(AppError.fromData(closedWith));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve, reject });
        send({ t: 'call', id, name, input });
      });
    },
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    stream(name, input, receiver) {
      if (closedWith) {
        receiver.end(closedWith);
        return { cancel: () => undefined };
      }
      const id = nextId++;
      receivers.set(id, receiver);
      send({ t: 'stream', id, name, input });
      return { cancel: () => send({ t: 'cancel', id }) };
    },
  };
}
