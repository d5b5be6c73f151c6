// The browser mode's side of api.ts: a WebSocket on the local HTTP server at WS_PATH. Admission
// is the HTTP API's: loopback Host and Origin only (DNS-rebinding guard), and the same bearer key,
// sent as the `bearer.<key>` subprotocol because browsers cannot set headers on a WebSocket.
// A refused key is refused at the HTTP upgrade (401, socket destroyed): no WebSocket exists and no
// frame is accepted before authentication, so a client without the key cannot make the server
// buffer anything. A browser never sees that status, so the page asks GET /api/session (below)
// with its key to tell "wrong key" from "server gone".
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { IMAGE_ATTACH_MAX_BASE64_CHARS, type Handlers } from '../contract/api.ts';
import { toErrorData } from '../contract/errors.ts';
import { ClientFrameSchema, WIRE_PROTOCOL, WS_KEY_PROTOCOL_PREFIX, WS_PATH, type ServerFrame } from '../contract/wire.ts';
import { assertLocalOrigin, assertSingleHeaders, bearerMatches } from './auth.ts';
import { ApiDispatcher, type OpenStream } from '../services/dispatcher.ts';

export interface WsAttachOptions {
  handlers: Handlers;
  apiKey: string;
  /** Largest frame accepted from a client (default: an images.attach of the largest image, base64). */
  maxPayloadBytes?: number;
}

export interface WsAttachment {
  /** Open connections (diagnostics and tests). */
  readonly connections: number;
  /** Closes every connection (their streams are cancelled) and stops answering upgrades. */
  close(): Promise<void>;
}

/** Loopback names on the server's own port: the only Host and Origin values accepted. */
export function admissible(req: Pick<IncomingMessage, 'headers' | 'rawHeaders'>, port: number): boolean {
  try {
    assertSingleHeaders(req.rawHeaders);
    assertLocalOrigin(req.headers, port);
    return true;
  } catch {
    return false;
  }
}

/** The key offered as `bearer.<key>` among the subprotocols, if any. */
export function offeredKey(protocolHeader: string | undefined): string | undefined {
  const offered = (protocolHeader ?? '').split(',').map((p) => p.trim());
  return offered.find((p) => p.startsWith(WS_KEY_PROTOCOL_PREFIX))?.slice(WS_KEY_PROTOCOL_PREFIX.length);
}

export function attach(httpServer: Server, options: WsAttachOptions): WsAttachment {
  const dispatcher = new ApiDispatcher(options.handlers);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? IMAGE_ATTACH_MAX_BASE64_CHARS + 64 * 1024,
    // Never echo the key back: answer with the protocol name only.
    handleProtocols: (protocols) => (protocols.has(WIRE_PROTOCOL) ? WIRE_PROTOCOL : false),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path !== WS_PATH) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    const port = (httpServer.address() as AddressInfo | null)?.port ?? 0;
    if (!admissible(req, port)) {
      refuse(socket, 403, 'Forbidden');
      return;
    }
    const key = offeredKey(req.headers['sec-websocket-protocol']);
    if (key === undefined || !bearerMatches(`Bearer ${key}`, options.apiKey)) {
      refuse(socket, 401, 'Unauthorized');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, dispatcher));
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    get connections() {
      return wss.clients.size;
    },
    close() {
      httpServer.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      return new Promise<void>((resolve) => {
        // Clients that do not answer the close handshake are cut.
        const timer = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 1000);
        wss.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/** Answers the upgrade with an HTTP error and drops the socket: whatever the client sends next is never read. */
function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  // A client that never reads its answer must not keep the socket (and its unread bytes) alive.
  setTimeout(() => socket.destroy(), 1000).unref();
}

function serve(ws: WebSocket, dispatcher: ApiDispatcher): void {
  const open = new Map<number, OpenStream>();
  const send = (frame: ServerFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = dispatcher.subscribe((event) => send({ t: 'event', name: event.name, payload: event.payload }));
  send({ t: 'hello', protocol: WIRE_PROTOCOL });

  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      return;
    }
    const parsed = ClientFrameSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id;
      if (typeof id === 'number' && Number.isInteger(id) && id > 0) {
        send({ t: 'result', id, ok: false, error: toErrorData(new Error('Malformed request frame'), 'api.badRequest') });
      }
      return;
    }
    const frame = parsed.data;
    switch (frame.t) {
      case 'call':
        void dispatcher.call(frame.name, frame.input).then((outcome) => send({ t: 'result', id: frame.id, ...outcome }));
        return;
      case 'stream': {
        if (open.has(frame.id)) return;
        const stream = dispatcher.openStream(
          frame.name,
          frame.input,
          (packet) => send({ t: 'packet', id: frame.id, packet }),
          (error) => {
            open.delete(frame.id);
            send(error ? { t: 'end', id: frame.id, error } : { t: 'end', id: frame.id });
          },
        );
        open.set(frame.id, stream);
        return;
      }
      case 'cancel':
        open.get(frame.id)?.cancel();
        return;
    }
  });

  ws.on('close', () => {
    unsubscribe();
    // A page that went away no longer wants its answers; what was written so far stays stored.
    for (const stream of open.values()) stream.cancel();
    open.clear();
  });
  ws.on('error', () => undefined);
}
