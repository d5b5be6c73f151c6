// ChatEdits and PresetStore on a real in-memory store: instructions, pin and archive, editing and
// deleting one message, forking, continuing an answer, presets.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatStore } from '../../../main/store/ChatStore.ts';
import { exchange, memoryStore, textOf } from './storeTestKit.ts';

let store: ChatStore;
afterEach(() => store.dispose());

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('chat instructions, pin and archive', () => {
  it('stores instructions trimmed, clears them with empty text', () => {
    store = memoryStore();
    const chat = store.createConversation();
    expect(store.edits().setInstructions(chat.id, '  Answer in French.  ').instructions).toBe('Answer in French.');
    expect(store.getConversation(chat.id).instructions).toBe('Answer in French.');
    expect(store.edits().setInstructions(chat.id, '   ').instructions).toBeUndefined();
  });

  it('lists pinned chats apart, and keeps archived chats out of the list until unarchived (archiving unpins)', () => {
    store = memoryStore();
    const a = store.createConversation();
    const b = store.createConversation();
    const c = store.createConversation();
    store.edits().setPinned(a.id, true);
    store.edits().setArchived(b.id, true);
    expect(store.edits().pinned().map((x) => x.id)).toEqual([a.id]);
    expect(store.getConversation(a.id).pinned).toBe(true);
    expect(store.listConversations().items.map((x) => x.id)).toEqual([c.id, a.id]);
    expect(store.listConversations({ archived: true }).items.map((x) => [x.id, x.archived])).toEqual([[b.id, true]]);
    store.edits().setArchived(a.id, true);
    expect(store.edits().pinned()).toEqual([]);
    expect(store.getConversation(a.id).pinned).toBeUndefined();
    store.edits().setArchived(b.id, false);
    expect(store.listConversations().items.map((x) => x.id)).toEqual([c.id, b.id]);
  });
});

describe('editing one message', () => {
  it('replaces an answer’s text in place and keeps its place in the tree; an empty text is refused', () => {
    store = memoryStore();
    const chat = store.createConversation();
    const [, a1] = exchange(store, chat.id, null, 'q1', 'a wrong answer');
    store.edits().editText(a1.id, 'the right answer');
    const path = store.getActivePath(chat.id).items;
    expect(path.map(textOf)).toEqual(['q1', 'the right answer']);
    expect(path[1]!.id).toBe(a1.id);
    expect(store.search('right').map((h) => h.messageId)).toEqual([a1.id]);
    expect(store.search('wrong')).toEqual([]);
    expect(codeOf(() => store.edits().editText(a1.id, '  '))).toBe('api.badRequest');
  });

  it('an edited first question renames an untitled chat', () => {
    store = memoryStore();
    const chat = store.createConversation();
    const [q1] = exchange(store, chat.id, null, 'old question', 'a');
    store.edits().editText(q1.id, 'new question');
    expect(store.getConversation(chat.id).title).toBe('new question');
  });

  it('deleting a middle message moves what followed up to its parent; deleting the last one shows its parent', () => {
    store = memoryStore();
    const chat = store.createConversation();
    const [q1, a1] = exchange(store, chat.id, null, 'q1', 'a1');
    const [q2, a2] = exchange(store, chat.id, a1.id, 'q2', 'a2');
    store.edits().deleteMessage(a1.id);
    expect(store.getActivePath(chat.id).items.map(textOf)).toEqual(['q1', 'q2', 'a2']);
    expect(store.getMessage(q2.id).parentId).toBe(q1.id);
    const after = store.edits().deleteMessage(a2.id);
    expect(after.activeLeafId).toBe(q2.id);
    expect(store.getActivePath(chat.id).items.map(textOf)).toEqual(['q1', 'q2']);
    expect(codeOf(() => store.getMessage(a2.id))).toBe('store.notFound');
  });

  it('deleting the first question makes its answer the first message and retitles the chat', () => {
    store = memoryStore();
    const chat = store.createConversation();
    const [q1, a1] = exchange(store, chat.id, null, 'first', 'answer');
    exchange(store, chat.id, a1.id, 'second', 'more');
    store.edits().deleteMessage(q1.id);
    const path = store.getActivePath(chat.id).items;
    expect(path.map(textOf)).toEqual(['answer', 'second', 'more']);
    expect(path[0]!.parentId).toBeNull();
    expect(store.getConversation(chat.id).title).toBe('answer');
  });

  it('refuses to delete or edit an answer still being written', () => {
    store = memoryStore();
    const chat = store.createConversation();
    const q = store.addUserMessage(chat.id, null, [{ kind: 'text', text: 'q' }]);
    const writer = store.beginAssistantMessage(chat.id, q.id);
    expect(codeOf(() => store.edits().deleteMessage(writer.messageId))).toBe('store.conflict');
    expect(codeOf(() => store.edits().editText(writer.messageId, 'x'))).toBe('store.conflict');
    writer.finish('complete');
  });
});

describe('fork', () => {
  it('copies the branch down to a message into a new chat with the chat’s settings; the source is untouched', () => {
    store = memoryStore();
    const chat = store.createConversation();
    store.renameConversation(chat.id, 'Trip');
    store.patchSampling(chat.id, { temperature: 0.3 });
    store.edits().setInstructions(chat.id, 'Be brief.');
    const [, a1] = exchange(store, chat.id, null, 'q1', 'a1');
    const [q2] = exchange(store, chat.id, a1.id, 'q2', 'a2');
    const fork = store.edits().fork(q2.id);
    expect(fork).toMatchObject({ title: 'Trip (fork)', titleIsCustom: true, sampling: { temperature: 0.3 }, instructions: 'Be brief.', messageCount: 3 });
    expect(store.getActivePath(fork.id).items.map(textOf)).toEqual(['q1', 'a1', 'q2']);
    expect(store.getActivePath(chat.id).items.map(textOf)).toEqual(['q1', 'a1', 'q2', 'a2']);
  });
});

describe('continue', () => {
  it('streams more text into the same answer, which becomes streaming again and then ends', () => {
    store = memoryStore();
    const chat = store.createConversation();
    const [q1, a1] = exchange(store, chat.id, null, 'q1', 'The first half');
    const writer = store.continueAssistantMessage(a1.id);
    expect(writer.messageId).toBe(a1.id);
    expect(store.getMessage(a1.id).status).toBe('streaming');
    writer.append(' and the second.');
    const done = writer.finish('complete', { tokens: { prompt: 9, completion: 4 } });
    expect(done).toMatchObject({ id: a1.id, status: 'complete', parts: [{ kind: 'text', text: 'The first half and the second.' }], tokens: { prompt: 9, completion: 4 } });
    // Only the last answer of a branch: continuing one that has a follow-up is refused.
    exchange(store, chat.id, a1.id, 'q2', 'a2');
    expect(codeOf(() => store.continueAssistantMessage(a1.id))).toBe('store.conflict');
    expect(codeOf(() => store.continueAssistantMessage(q1.id))).toBe('api.badRequest');
  });
});

describe('presets', () => {
  it('saves, renames, refuses a duplicate name, applies a copy to a chat and deletes without touching the chat', () => {
    store = memoryStore();
    const presets = store.presets();
    const brief = presets.save({ name: 'Brief', instructions: 'Be brief.', sampling: { temperature: 0.2, minP: 0.05 } });
    presets.save({ name: 'Creative', instructions: '', sampling: { temperature: 1.2 } });
    expect(presets.list().map((p) => p.name)).toEqual(['Brief', 'Creative']);
    expect(codeOf(() => presets.save({ name: 'brief', instructions: '', sampling: {} }))).toBe('store.conflict');
    const chat = store.createConversation();
    store.patchSampling(chat.id, { topK: 40 });
    expect(presets.apply(chat.id, brief.id)).toMatchObject({ instructions: 'Be brief.', sampling: { temperature: 0.2, minP: 0.05 }, presetId: brief.id });
    expect(store.getConversation(chat.id).sampling).toEqual({ temperature: 0.2, minP: 0.05 });
    presets.save({ id: brief.id, name: 'Short', instructions: 'Very brief.', sampling: {} });
    expect(store.getConversation(chat.id).instructions).toBe('Be brief.');
    presets.delete(brief.id);
    expect(store.getConversation(chat.id)).toMatchObject({ instructions: 'Be brief.', sampling: { temperature: 0.2, minP: 0.05 } });
    expect(store.getConversation(chat.id).presetId).toBeUndefined();
    expect(codeOf(() => presets.delete(brief.id))).toBe('store.notFound');
  });
});
