import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../main/contract/chat.ts';
import type { ChatStore } from '../../../main/store/ChatStore.ts';
import { exchange, memoryStore, textOf } from './storeTestKit.ts';

let store: ChatStore;
afterEach(() => store.dispose());

const texts = (messages: Message[]): string[] => messages.map(textOf);

describe('the message tree', () => {
  it('titles the chat after the first question of the branch on screen, not the newest edit (issue 15, defect 11)', () => {
    store = memoryStore();
    const c = store.createConversation().id;
    const [q1] = exchange(store, c, null, 'Tell me about lizards', 'a1');
    exchange(store, c, null, 'Tell me about geckos', 'a1 for the edit');
    expect(store.getConversation(c).title).toBe('Tell me about geckos');
    expect(store.switchToSibling(q1.id, 0).title).toBe('Tell me about lizards');
    // A title the user chose stays whatever branch shows.
    store.renameConversation(c, 'Reptiles');
    expect(store.switchToSibling(q1.id, 1).title).toBe('Reptiles');
  });

  it('keeps edits and regenerations as siblings and shows the active branch', () => {
    store = memoryStore();
    const c = store.createConversation().id;
    const [q1, a1] = exchange(store, c, null, 'q1', 'a1');
    const [q2, a2] = exchange(store, c, a1.id, 'q2', 'a2');
    expect(texts(store.getActivePath(c).items)).toEqual(['q1', 'a1', 'q2', 'a2']);

    // Regenerate a2: a sibling under q2, and the new active leaf.
    const w = store.beginAssistantMessage(c, q2.id);
    w.append('a2 again');
    const a2b = w.finish('complete')!;
    expect(a2b).toMatchObject({ parentId: q2.id, siblingIndex: 1, siblingCount: 2 });
    expect(texts(store.getActivePath(c).items)).toEqual(['q1', 'a1', 'q2', 'a2 again']);
    expect(store.getMessage(a2.id)).toMatchObject({ siblingIndex: 0, siblingCount: 2 });

    // Edit q2 and resend: a sibling of q2 under a1, with its own answer.
    const [q2b, a2c] = exchange(store, c, a1.id, 'q2 edited', 'a2 for the edit');
    expect(q2b).toMatchObject({ parentId: a1.id });
    expect(texts(store.siblings(q2.id))).toEqual(['q2', 'q2 edited']);
    expect(texts(store.getActivePath(c).items)).toEqual(['q1', 'a1', 'q2 edited', 'a2 for the edit']);

    // ‹ 1/2 ›: back to the first q2 follows its newest leaf (the regenerated answer).
    const summary = store.switchToSibling(q2b.id, 0);
    expect(summary.activeLeafId).toBe(a2b.id);
    const path = store.getActivePath(c).items;
    expect(texts(path)).toEqual(['q1', 'a1', 'q2', 'a2 again']);
    expect(path.map((m) => `${m.siblingIndex + 1}/${m.siblingCount}`)).toEqual(['1/1', '1/1', '1/2', '2/2']);
    // and ‹ 2/2 › again.
    expect(store.switchToSibling(q2.id, 1).activeLeafId).toBe(a2c.id);

    // Root siblings: editing the first message.
    const q1b = store.addUserMessage(c, null, [{ kind: 'text', text: 'q1 edited' }]);
    expect(store.siblings(q1.id).map((m) => m.id)).toEqual([q1.id, q1b.id]);
    expect(texts(store.getActivePath(c).items)).toEqual(['q1 edited']);
    store.setActiveLeaf(c, a1.id);
    expect(texts(store.getActivePath(c).items)).toEqual(['q1', 'a1']);
    expect(() => store.switchToSibling(q1.id, 2)).toThrow(expect.objectContaining({ code: 'store.notFound' }));
  });

  it('refuses parents and leaves from another conversation', () => {
    store = memoryStore();
    const c1 = store.createConversation().id;
    const c2 = store.createConversation().id;
    const [q] = exchange(store, c1, null, 'q', 'a');
    expect(() => store.addUserMessage(c2, q.id, [{ kind: 'text', text: 'x' }])).toThrow(expect.objectContaining({ code: 'store.conflict' }));
    expect(() => store.beginAssistantMessage(c2, q.id)).toThrow(expect.objectContaining({ code: 'store.conflict' }));
    expect(() => store.setActiveLeaf(c2, q.id)).toThrow(expect.objectContaining({ code: 'store.conflict' }));
    expect(() => store.addUserMessage(c1, 9999, [{ kind: 'text', text: 'x' }])).toThrow(expect.objectContaining({ code: 'store.notFound' }));
    expect(() => store.addUserMessage(c1, null, [])).toThrow();
    const page = store.getActivePath(c1);
    expect(() => store.getActivePath(c2, { cursor: `m${page.items[1]!.id}` })).toThrow(expect.objectContaining({ code: 'api.badRequest' }));
  });

  it('stores image parts in order next to text, with the per-message settings', () => {
    store = memoryStore();
    const c = store.createConversation().id;
    // An image part names an image the store holds (images.attach stores it first).
    const hash = store.images.put(Buffer.from('image bytes'), { mime: 'image/png', width: 512, height: 384 }).sha256;
    const q = store.addUserMessage(c, null, [
      { kind: 'text', text: 'What is in' },
      { kind: 'image', imageHash: hash, mime: 'image/png', width: 512, height: 384 },
      { kind: 'text', text: 'this picture?' },
    ]);
    expect(q.parts).toEqual([
      { kind: 'text', text: 'What is in' },
      { kind: 'image', imageHash: hash, mime: 'image/png', width: 512, height: 384 },
      { kind: 'text', text: 'this picture?' },
    ]);
    const w = store.beginAssistantMessage(c, q.id, { sampling: { temperature: 0.7, topP: 0.9 }, seed: 42, model: { fileName: 'chameleon-7b.Q4_K_M.gguf', sizeBytes: 4_000_000_000 } });
    w.append('A cat.');
    const a = w.finish('stopped', { tokens: { prompt: 1040, completion: 3 }, timings: { promptMs: 900, firstTokenMs: 910, totalMs: 1000, tokensPerSecond: 33.3 }, seed: 42 })!;
    expect(a).toMatchObject({
      status: 'stopped',
      sampling: { temperature: 0.7, topP: 0.9 },
      seed: 42,
      model: { fileName: 'chameleon-7b.Q4_K_M.gguf', sizeBytes: 4_000_000_000 },
      tokens: { prompt: 1040, completion: 3 },
      timings: { promptMs: 900, firstTokenMs: 910, totalMs: 1000, tokensPerSecond: 33.3 },
    });
    expect(store.search('picture')[0]!.messageId).toBe(q.id);
  });

  it('pages through a 10 000-message active branch by keyset, newest page first, with branches beside it', () => {
    store = memoryStore();
    const c = store.createConversation().id;
    let parent: number | null = null;
    const onPath: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const [q, a] = exchange(store, c, parent, `question ${i}`, `answer ${i}`);
      onPath.push(q.id, a.id);
      // A regenerated answer every 500 turns: siblings that must stay off the active path.
      if (i % 500 === 0) store.beginAssistantMessage(c, q.id).finish('complete');
      parent = a.id;
    }
    store.setActiveLeaf(c, parent!);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.getActivePath(c, { limit: 300, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeGreaterThan(0);
      seen.unshift(...page.items.map((m) => m.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(10_000 / 300));
    expect(seen).toEqual(onPath);
    const last = store.getActivePath(c, { limit: 2 }).items;
    expect(texts(last)).toEqual(['question 4999', 'answer 4999']);
    expect(store.getConversation(c).messageCount).toBe(10_010);
  });
});
