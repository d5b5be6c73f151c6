// Remote engines through the app's real services (the same AppServices both shells build), with the
// real llama-server on 127.0.0.1 and the real local engine host: add, use, chat, the answer records
// which engine wrote it, a server killed mid-answer keeps the partial answer with a coded error,
// and one call brings the local engine back.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationPacket } from '../../../main/contract/api.ts';
import { createApiClient, type ApiClient } from '../../../main/contract/apiClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { ApiDispatcher } from '../../../main/services/dispatcher.ts';
import { AppError } from '../../../main/contract/errors.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { codeOf } from '../../fixtures/testKit.ts';
import { freePort, llamaTools, startLlamaServer, type ToolProcess } from '../../tools/llamaServerProcess.ts';

const tools = llamaTools();

describe.skipIf(!tools)('remote engines in the app', () => {
  let dataDir: string;
  let services: AppServices;
  let api: ApiClient;
  let server: ToolProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chameleon-remote-'));
    services = await AppServices.start({ dataDir, launcher: forkLauncher(), backups: false, modelPath: tinyChameleonGguf(), info: { name: 'Chameleon Desktop', version: '0', mode: 'browser', platform: 'linux' } });
    const dispatcher = new ApiDispatcher(services.handlers);
    api = createApiClient({
      async call(name, input) {
        const outcome = await dispatcher.call(name, input);
        if (!outcome.ok) throw AppError.fromData(outcome.error);
        return outcome.value;
      },
      subscribe: (name, listener) => dispatcher.subscribe((e) => e.name === name && listener(e.payload)),
      stream: (name, input, receiver) => dispatcher.openStream(name, input, (p) => receiver.packet(p), (e) => receiver.end(e)),
    });
    await api.call('model.load', { modelPath: tinyChameleonGguf(), threads: 1 });
    server = await startLlamaServer({ model: tinyChameleonGguf(), apiKey: 'the-key' });
  });
  afterAll(async () => {
    await server?.stop();
    await services?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = async (conversationId: number, text: string, sampling: object = { maxTokens: 12, seed: 3, temperature: 0 }, onPacket?: (p: GenerationPacket) => void): Promise<GenerationPacket[]> => {
    const packets: GenerationPacket[] = [];
    for await (const p of api.stream('messages.send', { conversationId, parentId: null, parts: [{ kind: 'text', text }], sampling })) {
      packets.push(p);
      onPacket?.(p);
    }
    return packets;
  };

  it('refuses an engine nobody serves, and one with a wrong key, storing nothing', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await codeOf(api.call('engines.add', { name: 'Nobody', kind: 'llamaCppServer', baseUrl: closed }))).toBe('remote.unreachable');
    expect(await codeOf(api.call('engines.add', { name: 'Wrong key', kind: 'llamaCppServer', baseUrl: server.baseUrl, apiKey: 'nope' }))).toBe('remote.unauthorized');
    expect((await api.call('engines.list')).engines).toEqual([]);
  });

  it('adds a llama.cpp server, keeps its key out of the list and the engines file, and answers through it', async () => {
    const changed: string[] = [];
    api.on('engines.changed', (s) => changed.push(s.active));
    const added = await api.call('engines.add', { name: 'Loopback cluster', kind: 'llamaCppServer', baseUrl: server.baseUrl, apiKey: 'the-key' });
    const engine = added.engines[0]!;
    expect(engine).toMatchObject({ name: 'Loopback cluster', hasApiKey: true });
    expect(JSON.stringify(added)).not.toContain('the-key');
    expect(readFileSync(join(dataDir, 'engines.json'), 'utf8')).not.toContain('the-key');
    // Server mode has no keychain: the key is a file only its owner can read.
    expect(added.keyStorage).toBe('file');
    expect(statSync(join(dataDir, `engine-key-${engine.id}`)).mode & 0o777).toBe(0o600);

    // "Test" while editing it, with the key field left unchanged, uses the stored key (it sent none: 401).
    const form = { name: 'Loopback cluster', kind: 'llamaCppServer' as const, baseUrl: server.baseUrl };
    expect(await api.call('engines.check', { ...form, id: engine.id })).toMatchObject({ vocabularySize: 65536 });
    expect(await codeOf(api.call('engines.check', form))).toBe('remote.unauthorized');
    expect(await codeOf(api.call('engines.check', { ...form, id: 'eng_ffffffff' }))).toBe('remote.notFound');

    const used = await api.call('engines.use', { id: engine.id });
    expect(used.remote).toMatchObject({ state: 'ready', model: { vocabularySize: 65536, imageInput: 'tokenIds' } });
    expect((await api.call('model.status')).model?.fileName).toMatch(/tiny-chameleon/);
    const chat = await api.call('chats.create');
    // A question whose greedy answer on the random model is whole UTF-8: llama-server's chat parser ends any other.
    const packets = await send(chat.id, 'what is the capital of France');
    const success = packets.find((p) => p.type === 'success');
    expect(success?.type).toBe('success');
    if (success?.type !== 'success') return;
    expect(success.message.engine).toEqual({ kind: 'llamaCppServer', name: 'Loopback cluster', model: expect.stringMatching(/tiny-chameleon/) });
    expect(success.message.tokens?.completion).toBeGreaterThan(0);
    expect(changed).toContain(engine.id);
  });

  it('keeps the partial answer with remote.disconnected when the server dies mid-answer; the local engine answers next', async () => {
    const chat = await api.call('chats.create');
    let killed: Promise<void> | undefined;
    const packets = await send(chat.id, 'hello over there', { maxTokens: 3500, seed: 5, temperature: 0 }, (p) => {
      if (p.type === 'fragment' && !killed) killed = server.kill();
    });
    await killed;
    const end = packets.at(-1);
    expect(end?.type).toBe('error');
    if (end?.type !== 'error') return;
    expect(end.error.code).toBe('remote.disconnected');
    expect(end.message?.status).toBe('error');
    const stored = (await api.call('messages.page', { conversationId: chat.id })).items.at(-1)!;
    const text = stored.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(stored.error?.code).toBe('remote.disconnected');
    expect((await api.call('engines.list')).remote?.state).toBe('error');

    // One click back to this computer: the same chat goes on locally.
    const local = await api.call('engines.use', { id: 'local' });
    expect(local.active).toBe('local');
    expect((await api.call('model.status')).state).toBe('ready');
    const again = await send(chat.id, 'still there?');
    const ok = again.find((p) => p.type === 'success');
    expect(ok?.type === 'success' && ok.message.engine?.kind).toBe('local');
  });
});
