// Export and import through both of the app's doors: the local server's HTTP routes (browser
// mode's download/upload) and the contract's transcripts.* stream and command over the WebSocket.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../main/contract/apiClient.ts';
import { TranscriptFileSchema } from '../../../main/contract/transcript.ts';
import { WS_PATH } from '../../../main/contract/wire.ts';
import { connectWebSocket, type WebSocketConstructor } from '../../../main/contract/wsClientTransport.ts';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { buildFixtureChat, type FixtureChat } from '../../unit/export/fixtureChat.ts';

const KEY = 'chm-transcripts-test-key';
const BrowserWebSocket = globalThis.WebSocket as unknown as WebSocketConstructor;

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const packets: T[] = [];
  for await (const p of stream) packets.push(p);
  return packets;
}

describe('transcripts over HTTP and the WebSocket API', () => {
  let dataDir: string;
  let server: ServerApp;
  let chat: FixtureChat;
  const post = (path: string, body: unknown, key: string | null = KEY): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chameleon-transcripts-'));
    server = await ServerApp.start({ dataDir, port: 0, env: { CHAMELEON_API_KEY: KEY } });
    chat = await buildFixtureChat(server.app.store);
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('POST /api/transcripts/export answers the file as an attachment, behind the key', async () => {
    const request = {
      scope: { kind: 'conversation', id: chat.conversationId },
      format: 'json',
      branches: 'all',
    };
    expect((await post('/api/transcripts/export', request, null)).status).toBe(401);
    const res = await post('/api/transcripts/export', request);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="chameleon-transcript-\d{4}-\d\d-\d\d\.json"$/,
    );
    const file = TranscriptFileSchema.parse(await res.json());
    expect(file.conversations[0]?.messages).toHaveLength(11);

    const html = await post('/api/transcripts/export', { ...request, format: 'html' });
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await html.text()).toContain('&lt;script&gt;window.pwned = 1&lt;/script&gt;');

    const missing = await post('/api/transcripts/export', {
      ...request,
      scope: { kind: 'conversation', id: 999 },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'store.notFound' } });
    expect((await post('/api/transcripts/export', { ...request, format: 'docx' })).status).toBe(400);
  });

  it('POST /api/transcripts/import takes our JSON back and refuses unknown input by code', async () => {
    const exported = await (
      await post('/api/transcripts/export', {
        scope: { kind: 'conversation', id: chat.conversationId },
        format: 'json',
        branches: 'all',
      })
    ).json();
    const res = await post('/api/transcripts/import', exported);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      format: string;
      conversations: { id: number; title: string; messageCount: number }[];
    };
    expect(body.format).toBe('transcript');
    // The original is still there: the copy is marked as imported again.
    expect(body.conversations[0]).toMatchObject({ title: 'Lizards & <colours> — 蜥蜴 (imported again)', messageCount: 11 });
    expect(body.conversations[0]!.id).not.toBe(chat.conversationId);
    const bad = await post('/api/transcripts/import', { something: 'else' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'import.unknownFormat' } });
  });

  it('over the WebSocket, transcripts.export and .import take no path: only a dialog handle, which browser mode has none of', async () => {
    const transport = connectWebSocket(BrowserWebSocket, `ws://127.0.0.1:${server.port}${WS_PATH}`, KEY);
    await transport.ready;
    const api = createApiClient(transport);
    try {
      const target = join(dataDir, 'history.sqlite3');
      const before = readFileSync(target);
      // The old shape (a path) is not in the contract any more…
      expect(() => api.stream('transcripts.export', { scope: { kind: 'all' }, format: 'markdown', path: target } as never)).toThrow(expect.objectContaining({ code: 'api.badRequest' }));
      // …and a handle that no dialog handed out is refused before anything is written.
      const packets = await drain(api.stream('transcripts.export', { scope: { kind: 'all' }, format: 'markdown', handle: 'file_madeUpHandle0123456789' }));
      expect(packets).toEqual([{ type: 'error', error: expect.objectContaining({ code: 'api.forbiddenPath' }) }]);
      expect(readFileSync(target).equals(before)).toBe(true);
      // (Raw frames that skip the typed client's checks: test/integration/services/fileCapabilities.test.ts.)
      await expect(api.call('transcripts.import', { handle: 'file_madeUpHandle0123456789' })).rejects.toMatchObject({ code: 'api.forbiddenPath' });
      await expect(api.call('transcripts.pickExportPath', { defaultName: 'x.json' })).rejects.toMatchObject({ code: 'api.notFound' });
    } finally {
      transport.close();
    }
  });
});
