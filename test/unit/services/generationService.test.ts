// GenerationService through its engine interface: a scripted engine (no host process) drives the
// real service on a real in-memory ChatStore, so every path that writes history is checked for what
// it stores and what it streams — sampling layering, stop, crash, failure, refusal before writing.
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationPacket } from '../../../main/contract/api.ts';
import type { ChatTurn, EngineStatus, GenerateRequestInput, GenerationResult } from '../../../main/contract/engine.ts';
import { AppError } from '../../../main/contract/errors.ts';
import type { GenerateOptions } from '../../../main/engine/engineClient.ts';
import { GenerationService, type GenerationEngine } from '../../../main/services/generationService.ts';
import type { ChatStore } from '../../../main/store/ChatStore.ts';
import { memoryStore } from '../store/storeTestKit.ts';

/** Answers with `words`, one delta each, honouring the stop signal between words. */
class ScriptedEngine implements GenerationEngine {
  readonly requests: GenerateRequestInput[] = [];
  words: string[] = ['Chameleons ', 'change ', 'colour.'];
  /** After this many words the "host" dies (stopReason 'crashed'), or the call throws. */
  crashAfter: number | null = null;
  throwError: AppError | null = null;
  contextSize = 4096;
  /** Resolves each time a word is emitted (lets a test stop mid-answer). */
  onWord: (() => void) | null = null;

  getStatus(): EngineStatus {
    return { state: 'ready', model: { path: '/m.gguf', fileName: 'm.gguf', sizeBytes: 7, architecture: 'chameleon', contextSize: this.contextSize, trainContextSize: 4096 } };
  }

  async countTokens(turns: ChatTurn[]): Promise<number> {
    return 1 + turns.reduce((n, t) => n + 1 + t.segments.reduce((m, s) => m + (s.type === 'text' ? s.text.length : 1026), 0), 0);
  }

  async generate(request: GenerateRequestInput, options: GenerateOptions = {}): Promise<GenerationResult> {
    this.requests.push(request);
    if (this.throwError) throw this.throwError;
    let text = '';
    for (const [i, word] of this.words.entries()) {
      if (options.signal?.aborted) return this.#result(request, text, 'aborted', i);
      if (this.crashAfter === i) return { ...this.#result(request, text, 'crashed', i), error: { code: 'engine.crashed', message: 'SIGSEGV in ggml' } };
      text += word;
      options.onEvent?.({ type: 'delta', text: word });
      this.onWord?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    return this.#result(request, text, 'endOfTurn', this.words.length);
  }

  /** Like the engine: the seed asked for, else a drawn one, is reported back. */
  #result(request: GenerateRequestInput, text: string, stopReason: GenerationResult['stopReason'], completion: number): GenerationResult {
    return { text, stopReason, usage: { promptTokens: 5, evaluatedPromptTokens: 5, completionTokens: completion }, timings: { promptMs: 1, firstTokenMs: 1, totalMs: 2, tokensPerSecond: 9 }, seed: request.sampling?.seed ?? 42 };
  }
}

let store: ChatStore;
afterEach(() => store.dispose());

function setup(defaults = { temperature: 0.7, topP: 0.9, topK: 0, repeatPenalty: 1.2, maxTokens: 64 }) {
  store = memoryStore();
  const engine = new ScriptedEngine();
  const changed: number[] = [];
  const service = new GenerationService({
    store,
    engine,
    samplingFor: (id) => ({ ...defaults, ...store.getConversation(id).sampling }),
    onChanged: (id) => changed.push(id),
    frameMs: 0,
  });
  return { engine, service, changed };
}

async function run(service: GenerationService, args: Parameters<GenerationService['send']>[0], controller = new AbortController()): Promise<GenerationPacket[]> {
  const packets: GenerationPacket[] = [];
  await service.send(args, { send: (p) => packets.push(p), signal: controller.signal });
  return packets;
}

describe('GenerationService', () => {
  it('stores the question and the streamed answer, sampling layered defaults < chat < message', async () => {
    const { engine, service, changed } = setup();
    const chat = store.createConversation();
    store.patchSampling(chat.id, { temperature: 0.2, seed: 5 });
    const packets = await run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'Why?' }], sampling: { seed: 9 } });

    expect(packets.map((p) => p.type)).toEqual(['started', 'fragment', 'fragment', 'fragment', 'success']);
    expect(packets.filter((p) => p.type === 'fragment').map((p) => p.text).join('')).toBe('Chameleons change colour.');
    const success = packets.at(-1)!;
    expect(success).toMatchObject({ type: 'success', message: { role: 'assistant', status: 'complete', seed: 9, model: { fileName: 'm.gguf' } }, stats: { stopReason: 'endOfTurn' } });
    expect(engine.requests[0]).toMatchObject({ sessionId: `chat-${chat.id}`, sampling: { temperature: 0.2, topP: 0.9, seed: 9, maxTokens: 64 } });
    expect(engine.requests[0]!.turns).toEqual([{ role: 'user', segments: [{ type: 'text', text: 'Why?' }] }]);
    // The one-off override is not stored on the chat.
    expect(store.getConversation(chat.id).sampling).toEqual({ temperature: 0.2, seed: 5 });
    const path = store.getActivePath(chat.id).items;
    expect(path.map((m) => [m.role, m.status])).toEqual([['user', 'complete'], ['assistant', 'complete']]);
    expect(path[1]!.parts).toEqual([{ kind: 'text', text: 'Chameleons change colour.' }]);
    expect(changed.length).toBeGreaterThanOrEqual(2);

    // A follow-up sends the whole branch as turns.
    await run(service, { conversationId: chat.id, parentId: path[1]!.id, parts: [{ kind: 'text', text: 'How?' }] });
    expect(engine.requests[1]!.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('keeps the text so far as stopped when the user stops, and refuses a second answer meanwhile', async () => {
    const { engine, service } = setup();
    const chat = store.createConversation();
    const controller = new AbortController();
    let words = 0;
    let second: Promise<string> | undefined;
    engine.onWord = () => {
      if (++words === 1) {
        second = service.send({ conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'again' }] }, { send: () => undefined, signal: new AbortController().signal }).then(
          () => 'ok',
          (err: unknown) => (err as { code: string }).code,
        );
        expect(service.stop(chat.id)).toBe(true);
      }
    };
    const packets = await run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'Tell me' }] }, controller);
    expect(await second).toBe('engine.busy');
    expect(packets.at(-1)).toMatchObject({ type: 'success', message: { status: 'stopped', parts: [{ kind: 'text', text: 'Chameleons ' }] }, stats: { stopReason: 'aborted' } });
    expect(service.running).toBe(0);
  });

  it('keeps the partial answer next to the error when the host crashes or the engine fails', async () => {
    const { engine, service } = setup();
    const chat = store.createConversation();
    engine.crashAfter = 2;
    const crashed = await run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'q' }] });
    expect(crashed.at(-1)).toMatchObject({ type: 'error', error: { code: 'engine.crashed' }, message: { status: 'error', parts: [{ kind: 'text', text: 'Chameleons change ' }] } });

    engine.crashAfter = null;
    engine.throwError = new AppError('model.notLoaded', 'No model is loaded.');
    const failed = await run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'q2' }] });
    expect(failed.map((p) => p.type)).toEqual(['started', 'error']);
    expect(failed.at(-1)).toMatchObject({ error: { code: 'model.notLoaded' }, message: { status: 'error', error: { code: 'model.notLoaded' } } });
  });

  it('refuses a question that cannot fit before writing anything', async () => {
    const { engine, service } = setup();
    const chat = store.createConversation();
    engine.contextSize = 64;
    const attempt = run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'x'.repeat(500) }] });
    await expect(attempt).rejects.toMatchObject({ code: 'engine.contextOverflow' });
    expect(engine.requests).toHaveLength(0);
    expect(store.getConversation(chat.id).messageCount).toBe(0);
  });

  it('continues an answer: the prompt ends with it as an open assistant turn, the new text joins the same message', async () => {
    const { engine, service } = setup();
    const chat = store.createConversation();
    await run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'Why?' }] });
    const answer = store.getActivePath(chat.id).items[1]!;
    engine.words = [' Also', ' lizards.'];
    const packets: GenerationPacket[] = [];
    await service.continue({ messageId: answer.id }, { send: (p) => packets.push(p), signal: new AbortController().signal });
    expect(engine.requests[1]!.turns).toEqual([
      { role: 'user', segments: [{ type: 'text', text: 'Why?' }] },
      { role: 'assistant', segments: [{ type: 'text', text: 'Chameleons change colour.' }] },
    ]);
    expect(packets[0]).toMatchObject({ type: 'started', assistant: { id: answer.id, status: 'streaming' } });
    expect(packets[0]).not.toHaveProperty('user');
    expect(packets.at(-1)).toMatchObject({ type: 'success', message: { id: answer.id, status: 'complete', parts: [{ kind: 'text', text: 'Chameleons change colour. Also lizards.' }] } });
    expect(store.getConversation(chat.id).messageCount).toBe(2);
    await expect(service.continue({ messageId: answer.parentId! }, { send: () => undefined, signal: new AbortController().signal })).rejects.toMatchObject({ code: 'api.badRequest' });
  });

  it('puts the chat’s instructions in front of the first user turn, and keeps them when old exchanges are dropped', async () => {
    const { engine, service } = setup();
    const chat = store.createConversation();
    store.edits().setInstructions(chat.id, 'Be brief.');
    await run(service, { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'Why?' }] });
    expect(engine.requests[0]!.turns).toEqual([{ role: 'user', segments: [{ type: 'text', text: 'Be brief.\n\n' }, { type: 'text', text: 'Why?' }] }]);
    // The stored question is the user's own text.
    expect(textOfFirst(store, chat.id)).toBe('Why?');
    // A context too small for the whole chat: the first exchange goes, the instructions move on.
    engine.contextSize = 140;
    const leaf = store.getActivePath(chat.id).items.at(-1)!;
    await run(service, { conversationId: chat.id, parentId: leaf.id, parts: [{ kind: 'text', text: 'x'.repeat(40) }] });
    const turns = engine.requests[1]!.turns;
    expect(turns).toHaveLength(1);
    expect(turns[0]!.segments[0]).toEqual({ type: 'text', text: 'Be brief.\n\n' });
    expect((await service.promptTurns(chat.id, leaf.id))[0]!.segments[0]).toEqual({ type: 'text', text: 'Be brief.\n\n' });
  });
});

function textOfFirst(s: ChatStore, conversationId: number): string {
  const first = s.getActivePath(conversationId).items[0]!;
  return first.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
}
