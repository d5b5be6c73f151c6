import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HIGHLIGHT_END, HIGHLIGHT_START, splitHighlights } from '../../../main/contract/chat.ts';
import { ChatStore, DATABASE_FILE_NAME } from '../../../main/store/ChatStore.ts';
import { exchange, steppingClock, tempDir } from './storeTestKit.ts';

let dir = tempDir();
let store: ChatStore | undefined;
afterEach(() => {
  store?.dispose();
  store = undefined;
  dir.remove();
  dir = tempDir();
});

/** FTS5's own check of the external-content index against message_parts. */
function ftsIntegrity(): void {
  const db = new Database(join(dir.path, DATABASE_FILE_NAME));
  try {
    db.exec(`INSERT INTO message_parts_fts (message_parts_fts, rank) VALUES ('integrity-check', 1)`);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
}

function open(): ChatStore {
  store = ChatStore.open(dir.path, { now: steppingClock() });
  return store;
}

describe('full-text search', () => {
  it('finds words across chats with highlighted snippets, newest first', () => {
    const s = open();
    const a = s.createConversation().id;
    const b = s.createConversation().id;
    const [, answer] = exchange(s, a, null, 'Tell me about the giraffe', 'A giraffe is tall. Giraffe necks are long; the giraffe eats leaves.');
    const [q] = exchange(s, b, null, 'Is a giraffe a mammal?', 'Yes.');
    const hits = s.search('giraffe');
    expect(hits).toHaveLength(3);
    expect(hits.slice(0, 2).map((h) => h.messageId)).toEqual([q.id, answer.id]);
    expect(hits[0]!.conversationTitle).toBe('Is a giraffe a mammal?');
    expect(hits[0]!.snippet).toBe(`Is a ${HIGHLIGHT_START}giraffe${HIGHLIGHT_END} a mammal?`);
    expect(splitHighlights(hits[0]!.snippet)).toEqual([
      { text: 'Is a ', highlighted: false },
      { text: 'giraffe', highlighted: true },
      { text: ' a mammal?', highlighted: false },
    ]);
    expect(s.search('giraffe', 1)).toHaveLength(1);
    expect(s.search('giraffe', Number.NaN)).toHaveLength(3);
    // Prefix match on the last word, diacritics folded, every word required.
    expect(s.search('gira').length).toBe(3);
    expect(s.search('GIRÀFFE mammal').map((h) => h.messageId)).toEqual([q.id]);
    expect(s.search('giraffe zebra')).toEqual([]);
  });

  it('returns the newest page of a word found in every message, skipping deleted chats', () => {
    const s = open();
    const gone = s.createConversation().id;
    const c = s.createConversation().id;
    let parent: number | null = null;
    const ids: number[] = [];
    for (let i = 0; i < 300; i++) {
      parent = s.addUserMessage(c, parent, [{ kind: 'text', text: `otter number ${i} swims in the river today` }]).id;
      ids.push(parent);
    }
    let goneParent: number | null = null;
    for (let i = 0; i < 50; i++) goneParent = s.addUserMessage(gone, goneParent, [{ kind: 'text', text: `otter ${i} swims away` }]).id;
    s.deleteConversation(gone);
    expect(s.search('otter', 5).map((h) => h.messageId)).toEqual(ids.slice(-5).reverse());
    expect(s.search('swims river', 100).map((h) => h.messageId)).toEqual(ids.slice(-100).reverse());
    expect(s.search('otter 7', 100).map((h) => h.messageId)).toEqual([ids[7]]);
  });

  it('a longer prefix than the index holds finds the same messages, common or rare (issue 14)', () => {
    const s = open();
    const c = s.createConversation().id;
    let parent: number | null = null;
    const ids: number[] = [];
    // Hundreds of "the…" words, so the three-letter candidates run out before a rare completion.
    for (let i = 0; i < 700; i++) {
      const text = i === 5 ? 'thezzle the end' : i % 3 === 0 ? `Theodor said the ${i}` : `the ${i} then`;
      parent = s.addUserMessage(c, parent, [{ kind: 'text', text }]).id;
      ids.push(parent);
    }
    const newest = (pred: (i: number) => boolean, n: number): number[] => ids.filter((_, i) => pred(i)).slice(-n).reverse();
    expect(s.search('thez').map((h) => h.messageId)).toEqual([ids[5]]);
    expect(s.search('theo', 10).map((h) => h.messageId)).toEqual(newest((i) => i % 3 === 0 && i !== 5, 10));
    expect(s.search('THEN', 10).map((h) => h.messageId)).toEqual(newest((i) => i % 3 !== 0 && i !== 5, 10));
    expect(s.search('said theo', 5).map((h) => h.messageId)).toEqual(newest((i) => i % 3 === 0 && i !== 5, 5));
  });

  it('lists a message of several matching parts once, with its newest matching part (issue 10.10)', () => {
    const s = open();
    const c = s.createConversation().id;
    const q = s.addUserMessage(c, null, [
      { kind: 'text', text: 'a heron here' },
      { kind: 'text', text: 'heron heron heron everywhere' },
      { kind: 'text', text: 'and one more heron' },
    ]);
    const hits = s.search('heron');
    expect(hits.map((h) => h.messageId)).toEqual([q.id]);
    expect(hits[0]!.snippet).toContain('one more');
  });

  it('follows streaming updates, regenerations and purges through the triggers', () => {
    const s = open();
    const c = s.createConversation().id;
    const q = s.addUserMessage(c, null, [{ kind: 'text', text: 'start' }]);
    const w = s.beginAssistantMessage(c, q.id);
    w.append('first draft about volcanoes');
    expect(s.search('volcanoes')).toHaveLength(1);
    w.append(' and then glaciers');
    w.flush();
    expect(s.search('glaciers')).toHaveLength(1);
    expect(s.search('volcanoes')).toHaveLength(1);
    w.finish('complete');
    ftsIntegrity();
    s.purgeConversation(c);
    expect(s.search('glaciers')).toEqual([]);
    expect(s.search('start')).toEqual([]);
    ftsIntegrity();
  });

  it('treats any input as plain words: quotes, operators, stars and brackets never throw', () => {
    const s = open();
    const c = s.createConversation().id;
    exchange(s, c, null, 'He said "AND" OR NOT near(x) a*b: col:umn -minus ^caret', 'fine');
    const odd = ['"', '""', '"AND"', 'AND', 'OR', 'NOT', 'NEAR(', 'near(x', '*', 'a*b', 'col:umn', '-minus', '^caret', '(', ')', '{x}', "'", '\\', '\u0000', '  ', '', '🦎', 'x'.repeat(600)];
    for (const q of odd) expect(() => s.search(q)).not.toThrow();
    expect(s.search('"AND"')).toHaveLength(1);
    expect(s.search('NOT near')).toHaveLength(1);
    expect(s.search('col:umn')).toHaveLength(1);
    expect(s.search('*')).toEqual([]);
    expect(s.search('')).toEqual([]);
  });

  it('a message containing the highlight markers cannot fake a highlight outside the match', () => {
    const s = open();
    const c = s.createConversation().id;
    exchange(s, c, null, `plain ${HIGHLIGHT_START}<img onerror=x>${HIGHLIGHT_END} lizard`, 'ok');
    const [hit] = s.search('lizard');
    // Segments are plain text for the UI to put in text nodes; the matched word is highlighted.
    expect(splitHighlights(hit!.snippet).filter((x) => x.highlighted).map((x) => x.text)).toContain('lizard');
  });
});
