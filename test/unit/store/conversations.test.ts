import { afterEach, describe, expect, it } from 'vitest';
import type { ChatStore } from '../../../main/store/ChatStore.ts';
import { exchange, memoryStore } from './storeTestKit.ts';

let store: ChatStore;
afterEach(() => store.dispose());

describe('conversations', () => {
  it('are listed newest activity first, keyset-paginated, with counts and the active leaf', () => {
    store = memoryStore();
    const ids = Array.from({ length: 7 }, () => store.createConversation().id);
    // Activity in the oldest conversation moves it to the top.
    const [, answer] = exchange(store, ids[0]!, null, 'hi', 'hello');
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.listConversations({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([ids[0], ...ids.slice(1).reverse()]);
    const top = store.listConversations({ limit: 1 }).items[0]!;
    expect(top).toMatchObject({ id: ids[0], messageCount: 2, activeLeafId: answer.id, title: 'hi', titleIsCustom: false });
  });

  it('takes their title from the first user message until renamed, and back when the name is cleared', () => {
    store = memoryStore();
    const c = store.createConversation();
    expect(c.title).toBe('');
    const long = `\n\n   How do   I  bake\tbread? ${'very '.repeat(30)}\nsecond line`;
    const [q] = exchange(store, c.id, null, long, 'Knead.');
    const derived = store.getConversation(c.id).title;
    expect(derived.startsWith('How do I bake bread? very very')).toBe(true);
    expect([...derived].length).toBeLessThanOrEqual(80);
    expect(derived.endsWith('…')).toBe(true);
    // A follow-up does not change it; editing the first message does.
    exchange(store, c.id, store.getConversation(c.id).activeLeafId!, 'And cake?', 'Bake.');
    expect(store.getConversation(c.id).title).toBe(derived);
    store.addUserMessage(c.id, null, [{ kind: 'text', text: 'Sourdough, please' }]);
    expect(store.getConversation(c.id).title).toBe('Sourdough, please');

    expect(store.renameConversation(c.id, '  My   bread  ')).toMatchObject({ title: 'My bread', titleIsCustom: true });
    store.addUserMessage(c.id, null, [{ kind: 'text', text: 'another first message' }]);
    expect(store.getConversation(c.id).title).toBe('My bread');
    // Clearing the name goes back to the first message of the branch on screen.
    store.setActiveLeaf(c.id, q.id);
    expect(store.renameConversation(c.id, '   ')).toMatchObject({ title: derived, titleIsCustom: false });
    expect(store.renameConversation(c.id, 'x'.repeat(500)).title).toHaveLength(200);
  });

  it('delete hides a conversation, restore brings it back intact, purge removes it and its messages', () => {
    store = memoryStore();
    const keep = store.createConversation();
    const c = store.createConversation();
    exchange(store, c.id, null, 'secret word zebra', 'noted');
    store.deleteConversation(c.id);
    expect(store.listConversations().items.map((x) => x.id)).toEqual([keep.id]);
    expect(() => store.getConversation(c.id)).toThrow(expect.objectContaining({ code: 'store.notFound' }));
    expect(() => store.addUserMessage(c.id, null, [{ kind: 'text', text: 'x' }])).toThrow(expect.objectContaining({ code: 'store.notFound' }));
    expect(store.search('zebra')).toEqual([]);

    const restored = store.restoreConversation(c.id);
    expect(restored.messageCount).toBe(2);
    expect(store.getActivePath(c.id).items).toHaveLength(2);
    expect(store.search('zebra')).toHaveLength(1);
    expect(() => store.restoreConversation(c.id)).toThrow(expect.objectContaining({ code: 'store.notFound' }));

    store.deleteConversation(c.id);
    expect(store.purgeDeleted()).toBe(1);
    expect(() => store.restoreConversation(c.id)).toThrow(expect.objectContaining({ code: 'store.notFound' }));
    expect(store.search('zebra')).toEqual([]);
    expect(store.listConversations().items.map((x) => x.id)).toEqual([keep.id]);
  });

  it('purges a chat far longer than SQLite\'s trigger depth limit', () => {
    store = memoryStore();
    const c = store.createConversation().id;
    let parent: number | null = null;
    for (let i = 0; i < 1500; i++) parent = store.addUserMessage(c, parent, [{ kind: 'text', text: `step ${i} of a long walk` }]).id;
    store.purgeConversation(c);
    expect(store.search('walk')).toEqual([]);
    expect(() => store.getMessage(parent!)).toThrow(expect.objectContaining({ code: 'store.notFound' }));
  });

  it('purgeDeleted only takes conversations deleted before the given time', () => {
    let t = 1000;
    store = memoryStore({ now: () => t });
    const a = store.createConversation().id;
    const b = store.createConversation().id;
    store.deleteConversation(a);
    t = 5000;
    store.deleteConversation(b);
    expect(store.purgeDeleted(2000)).toBe(1);
    expect(store.restoreConversation(b).id).toBe(b);
    expect(() => store.restoreConversation(a)).toThrow(expect.objectContaining({ code: 'store.notFound' }));
  });

  it('rejects bad cursors, and any use after dispose, with coded errors', () => {
    store = memoryStore();
    for (const cursor of ['garbage', 'c1.', 'c99999999999999999999.1', 'm12']) {
      expect(() => store.listConversations({ cursor })).toThrow(expect.objectContaining({ code: 'api.badRequest' }));
    }
    store.dispose();
    expect(() => store.createConversation()).toThrow(expect.objectContaining({ code: 'store.closed' }));
    store.dispose();
  });
});

describe("a chat's own sampling", () => {
  it('is patched field by field, cleared by null, and goes with the chat', () => {
    store = memoryStore();
    const c = store.createConversation();
    expect(store.getConversation(c.id).sampling).toBeUndefined();
    expect(store.patchSampling(c.id, { temperature: 0.2, seed: 7 }).sampling).toEqual({ temperature: 0.2, seed: 7 });
    // A second window that only changed top-p does not overwrite the first window's temperature.
    expect(store.patchSampling(c.id, { topP: 0.5 }).sampling).toEqual({ temperature: 0.2, seed: 7, topP: 0.5 });
    expect(store.patchSampling(c.id, { seed: null }).sampling).toEqual({ temperature: 0.2, topP: 0.5 });
    expect(store.listConversations().items[0]!.sampling).toEqual({ temperature: 0.2, topP: 0.5 });
    expect(store.patchSampling(c.id, null).sampling).toBeUndefined();
    store.patchSampling(c.id, { maxTokens: 9 });
    store.purgeConversation(c.id);
    expect(() => store.patchSampling(c.id, { maxTokens: 1 })).toThrow(expect.objectContaining({ code: 'store.notFound' }));
  });
});
