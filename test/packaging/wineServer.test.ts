// `npm run serve` on Windows, proven under Wine: the Windows server build (Windows Node 22, the
// win32 prebuilds of node-llama-cpp, sharp and better-sqlite3, our mingw-built VQ-GAN addon) runs
// main/server/cli.ts with the tiny Chameleon GGUF and the narrow VQ-GAN, and answers a chat with an
// image from the Linux side through the OpenAI API and through the browser mode's WebSocket —
// at 127.0.0.1 and at localhost (what users type), while 0.0.0.0 and [::1] get a clear refusal
// (the server listens on 127.0.0.1 only; the reference viewer's WebSocket broke on exactly this).
// What Wine cannot show (Windows' own name resolution, 0.0.0.0 being unconnectable on Windows) is in
// README's packaging notes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../main/contract/apiClient.ts';
import { WIRE_PROTOCOL, WS_KEY_PROTOCOL_PREFIX, WS_PATH } from '../../main/contract/wire.ts';
import { connectWebSocket, type WebSocketConstructor } from '../../main/contract/wsClientTransport.ts';
import { writeSettings } from '../../main/settings/settingsFile.ts';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { FIXTURES } from '../integration/vqgan/goldenFixtures.ts';
import { startWindowsNode, stopWine, wineBinary, winPath, type WindowsNodeRun } from './wine.ts';
import { crossRequired, ensureWindowsAddon, hasMingw } from './windowsAddon.ts';
import { assembleWindowsTree } from './windowsTree.ts';

const KEY = 'chameleon-wine-test-key-0123456789';
const PREFIX = 'serve';
const BrowserWebSocket = globalThis.WebSocket as unknown as WebSocketConstructor;
const photo = readFileSync(path.join(FIXTURES, 'inputs', 'photo.jpg'));

/** The status a WebSocket upgrade to the server at `host` gets (101: switching protocols). */
function upgradeStatus(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port,
      path: WS_PATH,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': `${WIRE_PROTOCOL}, ${WS_KEY_PROTOCOL_PREFIX}${KEY}`,
      },
    });
    req.once('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe.skipIf(!crossRequired && (!hasMingw || !wineBinary()))('the Windows server under Wine', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'chameleon-wine-serve-'));
  let server: WindowsNodeRun;
  let port = 0;

  beforeAll(async () => {
    ensureWindowsAddon();
    const tree = path.join(work, 'tree');
    assembleWindowsTree(tree);
    const dataDir = path.join(work, 'data');
    mkdirSync(dataDir);
    await writeSettings(dataDir, { modelPath: winPath(tinyChameleonGguf()), vqganWeightsPath: winPath(path.join(FIXTURES, 'narrow', 'weights.safetensors')) });
    server = startWindowsNode([winPath(path.join(tree, 'main', 'server', 'cli.ts')), '--port', '0', '--data-dir', winPath(dataDir)], {
      cwd: tree,
      outDir: path.join(work, 'out'),
      prefix: PREFIX,
      env: { CHAMELEON_API_KEY: KEY },
    });
    const deadline = Date.now() + 240_000;
    for (;;) {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.stdout());
      if (m) {
        port = Number(m[1]);
        break;
      }
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${server.stdout()}\n${server.stderr()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited.catch(() => undefined);
    stopWine(PREFIX);
    rmSync(work, { recursive: true, force: true });
  });

  const auth = { authorization: `Bearer ${KEY}` };

  it('runs as win32 on Windows Node with every native part (node-llama-cpp win-x64 in the engine host)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: auth });
    expect(res.status).toBe(200);
    expect(server.stdout()).toMatch(/data dir: Z:\\/);
  });

  it('answers a chat with an image through the OpenAI API', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'chameleon',
        max_tokens: 6,
        seed: 3,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this photo?' }, { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${photo.toString('base64')}` } }] }],
      }),
    });
    const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
    // BOS + text + BOI + 1024 codes + EOI + EOT: the image was tokenized by the Windows addon
    expect(body.usage.prompt_tokens).toBeGreaterThan(1026 + 2);
    expect(server.stdout()).toMatch(/model ready: tiny-chameleon/);
  });

  for (const host of ['127.0.0.1', 'localhost']) {
    it(`answers a chat with an image over the browser mode's WebSocket at ${host}`, async () => {
      const page = await fetch(`http://${host}:${port}/v1/models`, { headers: auth });
      expect(page.status).toBe(200);
      const transport = connectWebSocket(BrowserWebSocket, `ws://${host}:${port}${WS_PATH}`, KEY);
      await transport.ready;
      try {
        const api = createApiClient(transport);
        let part;
        for await (const p of api.stream('images.attach', { dataBase64: photo.toString('base64'), fileName: 'photo.jpg' })) {
          if (p.type === 'error') throw new Error(p.error.message);
          if (p.type === 'success') part = p.part;
        }
        expect(part).toMatchObject({ kind: 'image', mime: 'image/jpeg' });
        const chat = await api.call('chats.create');
        const packets = [];
        for await (const p of api.stream('messages.send', { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'Describe it.' }, part!], sampling: { maxTokens: 4, seed: 1 } })) packets.push(p);
        expect(packets.at(-1)).toMatchObject({ type: 'success', message: { status: 'complete' } });
      } finally {
        transport.close();
      }
    });
  }

  it('refuses 0.0.0.0 by code (not a loopback name), and is not on IPv6 [::1]', async () => {
    const res = await fetch(`http://0.0.0.0:${port}/v1/models`, { headers: auth });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'api.forbiddenOrigin' } });
    // the upgrade itself is refused (a raw request: Node's WebSocket reports a refused upgrade
    // with an error event but never a close event, unlike browsers)
    expect(await upgradeStatus('0.0.0.0', port)).toBe(403);
    expect(await upgradeStatus('127.0.0.1', port)).toBe(101);
    await expect(fetch(`http://[::1]:${port}/v1/models`, { headers: auth })).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
