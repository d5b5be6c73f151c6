// The app's services as both shells build them, driven through the dispatcher with the typed
// client (an in-process transport; the WebSocket one is tested in test/integration/server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, STREAM_NAMES } from '../../../main/contract/api.ts';
import { createApiClient, type ClientTransport } from '../../../main/contract/apiClient.ts';
import { AppError } from '../../../main/contract/errors.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { ApiDispatcher } from '../../../main/services/dispatcher.ts';

describe('typed client on the real services through the dispatcher', () => {
  let dataDir: string;
  let services: AppServices;
  let dispatcher: ApiDispatcher;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chameleon-api-'));
    // No model is loaded in this file, so the engine host is never started.
    services = await AppServices.start({ dataDir, launcher: forkLauncher(), info: { name: 'Chameleon Desktop', version: '0', mode: 'browser', platform: 'linux' } });
    dispatcher = new ApiDispatcher(services.handlers);
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const loopback = (): ClientTransport => ({
    async call(name, input) {
      const outcome = await dispatcher.call(name, input);
      if (!outcome.ok) throw AppError.fromData(outcome.error);
      return outcome.value;
    },
    subscribe(name, listener) {
      return dispatcher.subscribe((e) => e.name === name && listener(e.payload));
    },
    stream(name, input, receiver) {
      return dispatcher.openStream(name, input, (p) => receiver.packet(p), (e) => receiver.end(e));
    },
  });

  it('implements every command and stream of the contract', () => {
    for (const name of COMMAND_NAMES) expect(typeof services.handlers.commands[name]).toBe('function');
    for (const name of STREAM_NAMES) expect(typeof services.handlers.streams[name]).toBe('function');
  });

  it('round-trips chats, settings and per-chat sampling with events', async () => {
    const api = createApiClient(loopback());
    const changes: string[] = [];
    const off = api.on('chats.changed', (e) => changes.push(e.reason));
    const settingsSeen: number[] = [];
    api.on('settings.changed', (s) => settingsSeen.push(s.contextSize));

    const chat = await api.call('chats.create');
    expect(chat.title).toBe('');
    await api.call('chats.rename', { id: chat.id, title: 'Renamed' });
    await api.call('chats.delete', { id: chat.id });
    expect((await api.call('chats.list')).items.find((c) => c.id === chat.id)).toBeUndefined();
    await api.call('chats.restore', { id: chat.id });
    expect(changes).toEqual(['created', 'renamed', 'deleted', 'restored']);
    off();

    expect(await api.call('chats.getSampling', { id: chat.id })).toBeNull();
    await api.call('chats.setSampling', { id: chat.id, sampling: { temperature: 0.1, seed: 5 } });
    expect(await api.call('chats.getSampling', { id: chat.id })).toEqual({ temperature: 0.1, seed: 5 });
    await api.call('chats.setSampling', { id: chat.id, sampling: null });
    expect(await api.call('chats.getSampling', { id: chat.id })).toBeNull();

    const settings = await api.call('settings.get');
    expect(settings.sampling.temperature).toBeGreaterThan(0);
    const saved = await api.call('settings.set', { ...settings, contextSize: 2048 });
    expect(saved.contextSize).toBe(2048);
    expect(settingsSeen).toEqual([2048]);

    expect(await api.call('model.status')).toEqual({ state: 'empty' });
    expect(services.engine.hostPid).toBeUndefined();
  });

  it('refuses bad input on both sides and reports handler errors as codes', async () => {
    const api = createApiClient(loopback());
    await expect(api.call('chats.get', { id: 1.5 })).rejects.toMatchObject({ code: 'api.badRequest' });
    expect(await dispatcher.call('chats.get', { id: 'x' })).toMatchObject({ ok: false, error: { code: 'api.badRequest' } });
    expect(await dispatcher.call('constructor', {})).toMatchObject({ ok: false, error: { code: 'api.notFound' } });
    await expect(api.call('messages.siblings', { messageId: 123456 })).rejects.toMatchObject({ code: 'store.notFound' });
    await expect(api.call('model.pickFile')).rejects.toMatchObject({ code: 'api.notFound' });
    const stream = api.stream('messages.regenerate', { messageId: 777 });
    await expect((async () => {
      for await (const _ of stream) void _;
    })()).rejects.toMatchObject({ code: 'store.notFound' });
  });

  it('ends a send with model.notLoaded, keeping the user message and an error answer', async () => {
    const api = createApiClient(loopback());
    const chat = await api.call('chats.create');
    const packets = [];
    for await (const p of api.stream('messages.send', { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'First question' }] })) packets.push(p);
    expect(packets.map((p) => p.type)).toEqual(['started', 'error']);
    expect(packets[1]).toMatchObject({ error: { code: 'model.notLoaded' }, message: { status: 'error' } });
    const page = await api.call('messages.page', { conversationId: chat.id });
    expect(page.items.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'error'],
    ]);
    expect((await api.call('chats.get', { id: chat.id })).title).toBe('First question');
  });
});
