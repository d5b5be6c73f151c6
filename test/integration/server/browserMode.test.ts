// Browser mode as `npm run serve` builds it (ServerApp): the built UI at /, public, under the
// CSP; the WebSocket API on the same port with the same key as the OpenAI API; history shared
// across a restart of the server.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../main/contract/apiClient.ts';
import { WS_PATH } from '../../../main/contract/wire.ts';
import { connectWebSocket, type WebSocketConstructor } from '../../../main/contract/wsClientTransport.ts';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { CONTENT_SECURITY_POLICY } from '../../../main/platform/securityPolicy.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

const KEY = 'chm-browser-mode-test-key';
const BrowserWebSocket = globalThis.WebSocket as unknown as WebSocketConstructor;
const hasRendererBuild = existsSync(join(import.meta.dirname, '..', '..', '..', 'renderer', 'dist', 'index.html'));

describe('browser mode through ServerApp', () => {
  let dataDir: string;
  let server: ServerApp;
  const start = (): Promise<ServerApp> => ServerApp.start({ dataDir, port: 0, modelPath: tinyChameleonGguf(), env: { CHAMELEON_API_KEY: KEY } });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chameleon-browser-'));
    server = await start();
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!hasRendererBuild)('serves the built UI publicly, with the CSP', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await res.text()).toMatch(/<html/i);
    // The API keeps its key check: unknown API paths are still unauthorized without the key.
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
  });

  it('answers over the WebSocket with the server key, and keeps history across a restart', async () => {
    const wrong = connectWebSocket(BrowserWebSocket, `ws://127.0.0.1:${server.port}${WS_PATH}`, 'nope');
    await expect(wrong.ready).rejects.toMatchObject({ code: 'api.unauthorized' });

    let transport = connectWebSocket(BrowserWebSocket, `ws://127.0.0.1:${server.port}${WS_PATH}`, KEY);
    await transport.ready;
    let api = createApiClient(transport);
    const chat = await api.call('chats.create');
    const packets = [];
    for await (const p of api.stream('messages.send', { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'hello' }], sampling: { maxTokens: 8, seed: 1 } })) packets.push(p);
    expect(packets.at(-1)).toMatchObject({ type: 'success', message: { status: 'complete' } });
    expect(await api.call('app.info')).toMatchObject({ mode: 'browser', dataDir });
    transport.close();

    await server.dispose();
    server = await start();
    transport = connectWebSocket(BrowserWebSocket, `ws://127.0.0.1:${server.port}${WS_PATH}`, KEY);
    await transport.ready;
    api = createApiClient(transport);
    const page = await api.call('messages.page', { conversationId: chat.id });
    expect(page.items.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect((await api.call('chats.search', { query: 'hello' })).map((h) => h.messageId)).toContain(page.items[0]!.id);
    transport.close();
  });
});
