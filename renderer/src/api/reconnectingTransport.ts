// Browser mode: the local server may restart (or the laptop sleep). This ClientTransport keeps
// one live WebSocket transport underneath, reconnects with backoff when it closes, and re-attaches
// event subscriptions, so the ApiClient above it (and every store) outlives any one socket.
// A refused key is final: retrying would only be refused again.
import type { ClientTransport, StreamReceiver } from '../../../main/contract/apiClient.ts';
import { AppError, type ErrorData } from '../../../main/contract/errors.ts';
import type { WsClientTransport } from '../../../main/contract/wsClientTransport.ts';

export interface ConnectionListener {
  (state: { connected: boolean; error?: ErrorData }): void;
}

export class ReconnectingTransport implements ClientTransport {
  readonly #open: () => WsClientTransport;
  readonly #listeners = new Map<string, Set<(payload: unknown) => void>>();
  readonly #connection = new Set<ConnectionListener>();
  #current: WsClientTransport;
  #detach: Array<() => void> = [];
  #retryMs = 250;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #final: ErrorData | undefined;

  constructor(open: () => WsClientTransport) {
    this.#open = open;
    this.#current = this.#attach(open());
  }

  onConnection(listener: ConnectionListener): () => void {
    this.#connection.add(listener);
    return () => this.#connection.delete(listener);
  }

  get ready(): Promise<void> {
    return this.#current.ready;
  }

  #attach(t: WsClientTransport): WsClientTransport {
    for (const d of this.#detach) d();
    this.#detach = [];
    for (const [name, set] of this.#listeners) {
      for (const l of set) this.#detach.push(t.subscribe(name, l));
    }
    t.ready.then(
      () => {
        this.#retryMs = 250;
        for (const l of this.#connection) l({ connected: true });
      },
      () => undefined,
    );
    t.onClose((error) => {
      if (this.#closed || t !== this.#current) return;
      const final = error.code === 'api.unauthorized';
      if (final) this.#final = error;
      for (const l of this.#connection) l({ connected: false, error });
      if (!final) this.#scheduleReconnect();
    });
    return t;
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.#closed) return;
      this.#current = this.#attach(this.#open());
      this.#retryMs = Math.min(this.#retryMs * 2, 3000);
    }, this.#retryMs);
  }

  async call(name: string, input: unknown): Promise<unknown> {
    if (this.#final) throw AppError.fromData(this.#final);
    const t = this.#current;
    await t.ready;
    return t.call(name, input);
  }

  subscribe(name: string, listener: (payload: unknown) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    const off = this.#current.subscribe(name, listener);
    this.#detach.push(off);
    return () => {
      set.delete(listener);
      off();
    };
  }

  stream(name: string, input: unknown, receiver: StreamReceiver): { cancel(): void } {
    return this.#current.stream(name, input, receiver);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#current.close();
  }
}
