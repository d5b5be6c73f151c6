// The WebSocket API on hostile frames, over a real socket to the real services (SQLite in a temp
// dir; no model loaded): garbage text, any JSON, and call/stream/cancel frames naming every
// command and stream with edited inputs. After each frame a probe call must still be answered,
// every frame the server sends must match the wire schema, and no answer may be `internal` (an
// exception no handler expected). Commands that take a file path (model.load, settings.set,
// transcripts.import/export) are left out: paths are being made capabilities (issue 10, part 1–2).
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { COMMAND_NAMES, STREAM_NAMES } from '../../main/contract/api.ts';
import { AppError, ERROR_CODES, type ErrorCode } from '../../main/contract/errors.ts';
import { ServerFrameSchema, WIRE_PROTOCOL, WS_KEY_PROTOCOL_PREFIX, WS_PATH, type ServerFrame } from '../../main/contract/wire.ts';
import { forkLauncher } from '../../main/engine/launchers/forkLauncher.ts';
import { AppServices } from '../../main/services/appServices.ts';
import { attach, type WsAttachment } from '../../main/server/wsServer.ts';
import { fuzz, jsonMutated } from './fuzzKit.ts';

const KEY = 'chm-fuzz-key-0123456789abcdefABCDEF_-';
const WITH_PATHS = new Set(['model.load', 'settings.set', 'transcripts.import', 'transcripts.export']);
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
/** A plausible input per name, for edits to start from; names not listed start from {}. */
const SEEDS: Record<string, unknown> = {
  'chats.list': { limit: 10 },
  'chats.get': { id: 1 },
  'chats.rename': { id: 1, title: 'x' },
  'chats.delete': { id: 1 },
  'chats.restore': { id: 1 },
  'chats.search': { query: 'hello' },
  'chats.setSampling': { id: 1, sampling: { temperature: 0.5 } },
  'messages.page': { conversationId: 1, limit: 5 },
  'messages.siblings': { messageId: 1 },
  'messages.switchBranch': { messageId: 1, index: 0 },
  'messages.selectLeaf': { conversationId: 1, messageId: 1 },
  'generation.stop': { conversationId: 1 },
  'generation.promptTokens': { conversationId: 1, leafId: 1 },
  'images.get': { imageHash: 'a'.repeat(64) },
  'transcripts.pickExportPath': { defaultName: 'x.json' },
  'images.attach': { dataBase64: PNG_B64, fileName: 'p.png' },
  'messages.send': { conversationId: 1, parentId: null, parts: [{ kind: 'text', text: 'hi' }] },
  'messages.regenerate': { messageId: 1 },
  'messages.edit': { messageId: 1, parts: [{ kind: 'text', text: 'hi' }] },
};
const ALLOWED = ERROR_CODES.filter((c) => c !== 'internal') as ErrorCode[];

describe('fuzz: WebSocket frames', () => {
  let dataDir: string;
  let server: Server;
  let services: AppServices;
  let attachment: WsAttachment;
  let socket: WebSocket;
  const received: ServerFrame[] = [];
  /** Frames the server sent that its own wire schema refuses. */
  const invalid: string[] = [];
  let waiting: { id: number; resolve: () => void } | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chameleon-fuzz-ws-'));
    services = await AppServices.start({ dataDir, launcher: forkLauncher(), info: { name: 'Chameleon Desktop', version: '0.0.0-fuzz', mode: 'browser', platform: process.platform } });
    await services.handlers.commands['chats.create']({});
    server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    attachment = attach(server, { handlers: services.handlers, apiKey: KEY });
    socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}${WS_PATH}`, [WIRE_PROTOCOL, `${WS_KEY_PROTOCOL_PREFIX}${KEY}`], { headers: { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
    socket.on('message', (data) => {
      const parsed = ServerFrameSchema.safeParse(JSON.parse(String(data)));
      if (!parsed.success) {
        invalid.push(String(data).slice(0, 200));
        return;
      }
      received.push(parsed.data);
      if (waiting && parsed.data.t === 'result' && parsed.data.id === waiting.id) waiting.resolve();
    });
    await new Promise<void>((resolve, reject) => (socket.once('open', () => resolve()), socket.once('error', reject)));
  });
  afterAll(async () => {
    socket?.close();
    await attachment?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await services?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every hostile frame with a schema-valid frame (or nothing) and keeps answering', async () => {
    const names = [...COMMAND_NAMES, ...STREAM_NAMES].filter((n) => !WITH_PATHS.has(n));
    const id = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(0, -1, 1.5, 2 ** 53, 'x', null));
    const named = fc.constantFrom(...names).chain((name) =>
      fc.record({
        t: fc.constantFrom(STREAM_NAMES.includes(name as never) ? 'stream' : 'call', 'call', 'stream'),
        id,
        name: fc.oneof({ weight: 8, arbitrary: fc.constant(name) }, fc.string({ maxLength: 120 })),
        input: fc.oneof(jsonMutated(SEEDS[name] ?? {}), fc.constant(SEEDS[name] ?? {}), fc.jsonValue({ maxDepth: 3 })),
      }),
    );
    const frame = fc.oneof(
      { weight: 6, arbitrary: named.map((f) => JSON.stringify(f)) },
      fc.record({ t: fc.constant('cancel'), id }).map((f) => JSON.stringify(f)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    let probe = 1_000_000;
    await fuzz('ws-frames', frame, 300, ALLOWED, async (text) => {
      const before = received.length;
      invalid.length = 0;
      socket.send(text);
      const probeId = ++probe;
      // A server that stops answering fails the case instead of hanging the suite.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to the probe after ${JSON.stringify(text).slice(0, 200)}`)), 20_000);
        waiting = { id: probeId, resolve: () => (clearTimeout(timer), resolve()) };
        socket.send(JSON.stringify({ t: 'call', id: probeId, name: 'app.info', input: {} }));
      });
      expect(invalid, `after ${JSON.stringify(text).slice(0, 200)}`).toEqual([]);
      const answers = received.slice(before);
      const probed = answers.find((f) => f.t === 'result' && f.id === probeId);
      expect(probed).toMatchObject({ ok: true });
      const sentId = (JSON.parse(text.startsWith('{') ? text : 'null') as { id?: unknown } | null)?.id;
      const own = answers.find((f) => (f.t === 'result' || f.t === 'end') && f.id === sentId && f.id !== probeId);
      const error = own && 'error' in own ? own.error : undefined;
      if (error) throw new AppError(error.code, error.message);
    });
    // Streams still running end on their own; the socket is still the same one.
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });
});
