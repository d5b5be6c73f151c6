// The app contract: its schemas accept what the UI sends and refuse the rest, the handler type
// forces main to implement every call, and the typed client talks to the real services through
// the dispatcher (an in-process transport; the WebSocket one is in test/integration/transport).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  EVENT_NAMES,
  GenerationPacketSchema,
  STREAM_NAMES,
  SamplingOverridesSchema,
  commands,
  events,
  isCommandName,
  streams,
  type Handlers,
} from '../../../main/contract/api.ts';
import { createApiClient, type ClientTransport } from '../../../main/contract/apiClient.ts';
import { AppError } from '../../../main/contract/errors.ts';
import { ClientFrameSchema, ServerFrameSchema } from '../../../main/contract/wire.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { ApiDispatcher } from '../../../main/transport/dispatcher.ts';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown): boolean => schema.safeParse(value).success;

describe('contract schemas', () => {
  it('names follow domain.verb and are unique across commands, events and streams', () => {
    const all = [...COMMAND_NAMES, ...EVENT_NAMES, ...STREAM_NAMES];
    expect(new Set(all).size).toBe(all.length);
    for (const name of all) expect(name).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
    expect(isCommandName('chats.list')).toBe(true);
    expect(isCommandName('toString')).toBe(false);
    expect(isCommandName('__proto__')).toBe(false);
  });

  it('accepts well-formed inputs and applies defaults', () => {
    expect(commands['chats.list'].input.parse({})).toEqual({ limit: 50 });
    expect(commands['chats.search'].input.parse({ query: 'kv cache' })).toEqual({ query: 'kv cache', limit: 30 });
    expect(commands['messages.page'].input.parse({ conversationId: 3, cursor: 'abc', limit: 100 })).toEqual({ conversationId: 3, cursor: 'abc', limit: 100 });
    expect(ok(commands['model.load'].input, { modelPath: '/m/chameleon-7b.Q4_K_M.gguf' })).toBe(true);
    expect(ok(commands['chats.setSampling'].input, { id: 1, sampling: null })).toBe(true);
    expect(ok(streams['messages.send'].input, { conversationId: 1, parentId: null, parts: [{ kind: 'text', text: 'hi' }], sampling: { temperature: 0.2 } })).toBe(true);
    expect(ok(streams['messages.edit'].input, { messageId: 9, parts: [{ kind: 'text', text: 'again' }] })).toBe(true);
  });

  it('refuses wrong types, unknown keys, out-of-range values and empty messages', () => {
    expect(ok(commands['chats.rename'].input, { id: '1', title: 'x' })).toBe(false);
    expect(ok(commands['chats.rename'].input, { id: 0, title: 'x' })).toBe(false);
    expect(ok(commands['chats.get'].input, { id: 1, extra: true })).toBe(false);
    expect(ok(commands['chats.list'].input, { limit: 10_000 })).toBe(false);
    expect(ok(commands['model.load'].input, { modelPath: '' })).toBe(false);
    expect(ok(commands['model.load'].input, { modelPath: '/m.gguf', gpu: 'tpu' })).toBe(false);
    expect(ok(commands['settings.set'].input, { gpu: 'auto' })).toBe(false);
    expect(ok(streams['messages.send'].input, { conversationId: 1, parentId: null, parts: [] })).toBe(false);
    expect(ok(streams['messages.send'].input, { conversationId: 1, parentId: null, parts: [{ kind: 'script', text: 'x' }] })).toBe(false);
    expect(ok(SamplingOverridesSchema, { temperature: -1 })).toBe(false);
    expect(ok(SamplingOverridesSchema, { topP: 0 })).toBe(false);
    expect(ok(SamplingOverridesSchema, { seed: 2 ** 32 })).toBe(false);
    expect(SamplingOverridesSchema.parse({})).toEqual({});
  });

  it('types generation packets and refuses unknown ones', () => {
    expect(ok(GenerationPacketSchema, { type: 'fragment', text: 'Hel' })).toBe(true);
    expect(ok(GenerationPacketSchema, { type: 'promptProgress', evaluated: 10, total: 20 })).toBe(true);
    expect(ok(GenerationPacketSchema, { type: 'error', error: { code: 'engine.crashed', message: 'boom' } })).toBe(true);
    expect(ok(GenerationPacketSchema, { type: 'error', error: { code: 'made.up', message: 'boom' } })).toBe(false);
    expect(ok(GenerationPacketSchema, { type: 'delta', text: 'x' })).toBe(false);
    expect(ok(events['chats.changed'], { reason: 'renamed', conversationId: 4 })).toBe(true);
    expect(ok(events['chats.changed'], { reason: 'exploded', conversationId: 4 })).toBe(false);
  });

  it('checks wire frames', () => {
    expect(ok(ClientFrameSchema, { t: 'call', id: 1, name: 'chats.list', input: {} })).toBe(true);
    expect(ok(ClientFrameSchema, { t: 'cancel', id: 0 })).toBe(false);
    expect(ok(ClientFrameSchema, { t: 'eval', id: 1, code: '1+1' })).toBe(false);
    expect(ok(ServerFrameSchema, { t: 'result', id: 2, ok: false, error: { code: 'internal', message: 'x' } })).toBe(true);
    expect(ok(ServerFrameSchema, { t: 'result', id: 2, ok: true, value: [1] })).toBe(true);
    expect(ok(ServerFrameSchema, { t: 'result', id: 2, ok: false })).toBe(false);
  });
});

describe('Handlers', () => {
  it('is checked by the compiler: a missing or mistyped handler does not type-check', () => {
    // @ts-expect-error — a handler object without chats.list is not a Handlers['commands'].
    const missing: Pick<Handlers['commands'], 'chats.list'> = {};
    const wrongType: Pick<Handlers['commands'], 'chats.create'> = {
      // @ts-expect-error — chats.create must answer a ConversationSummary.
      'chats.create': () => ({ id: 'not-a-number' }),
    };
    expect([missing, wrongType]).toHaveLength(2);
  });
});

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
