// The app contract: its schemas accept what the UI sends and refuse the rest, the handler type
// forces main to implement every call, and the typed client talks to the real services through
// the dispatcher (test/integration/services; the WebSocket one is in test/integration/server).
import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  EVENT_NAMES,
  GenerationPacketSchema,
  STREAM_NAMES,
  commands,
  events,
  isCommandName,
  streams,
  type Handlers,
} from '../../../main/contract/api.ts';
import { SamplingOverridesSchema } from '../../../main/contract/engine.ts';
import { ClientFrameSchema, ServerFrameSchema } from '../../../main/contract/wire.ts';

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
