import { describe, expect, it } from 'vitest';
import { ConversationSummarySchema, MessageSchema, SearchHitSchema, messageText, pageSchema, splitHighlights } from '../../../main/contract/chat.ts';
import { decodeConversationCursor, decodePathCursor, encodeConversationCursor, encodePathCursor } from '../../../main/store/cursor.ts';
import { narrowedPrefixQuery, tokenIsPrefixed, toFtsQuery } from '../../../main/store/ftsQuery.ts';
import { deriveTitle } from '../../../main/store/rows.ts';
import { exchange, memoryStore } from './storeTestKit.ts';

describe('toFtsQuery', () => {
  it('quotes every word, doubles quotes, prefixes the last word and drops word-less input', () => {
    expect(toFtsQuery('hello world')).toBe('"hello" "world"*');
    expect(toFtsQuery('say "hi" AND')).toBe('"say" """hi""" "AND"*');
    expect(toFtsQuery('  * - ( ) "" ')).toBeUndefined();
    expect(toFtsQuery('')).toBeUndefined();
    // A one-letter last word is matched whole: as a prefix it would match nearly everything.
    expect(toFtsQuery('vitamin a')).toBe('"vitamin" "a"');
    expect(toFtsQuery(Array.from({ length: 50 }, (_, i) => `w${i}`).join(' '))?.split(' ')).toHaveLength(32);
  });
});

describe('cursors', () => {
  it('round-trip and reject anything else', () => {
    expect(decodeConversationCursor(encodeConversationCursor(1_700_000_000_123, 42))).toEqual({ updatedAt: 1_700_000_000_123, id: 42 });
    expect(decodePathCursor(encodePathCursor(9))).toBe(9);
    for (const bad of ['', 'm', 'm-1', 'm1.5', 'c1', 'c01.2', 'x12']) {
      expect(() => decodePathCursor(bad)).toThrow(expect.objectContaining({ code: 'api.badRequest' }));
      expect(() => decodeConversationCursor(bad)).toThrow(expect.objectContaining({ code: 'api.badRequest' }));
    }
  });
});

describe('titles and highlights', () => {
  it('derives a title from the first non-empty line, whitespace collapsed, at most 80 characters', () => {
    expect(deriveTitle('\n  \n  Hello   there \n next')).toBe('Hello there');
    expect(deriveTitle('')).toBe('');
    const t = deriveTitle('🦎'.repeat(100));
    expect([...t]).toHaveLength(80);
    expect(t.endsWith('…')).toBe(true);
  });

  it('splits snippets into plain segments and ignores unbalanced markers', () => {
    expect(splitHighlights('a\u0002b\u0003c')).toEqual([
      { text: 'a', highlighted: false },
      { text: 'b', highlighted: true },
      { text: 'c', highlighted: false },
    ]);
    expect(splitHighlights('\u0003x\u0002\u0002y')).toEqual([
      { text: 'x', highlighted: false },
      { text: 'y', highlighted: true },
    ]);
    expect(messageText([{ kind: 'text', text: 'a' }, { kind: 'image', imageHash: '0'.repeat(64), mime: 'image/png', width: 1, height: 1 }, { kind: 'text', text: 'b' }])).toBe('a\nb');
  });
});

describe('store output', () => {
  it('matches the contract schemas the UI and API validate against', () => {
    const store = memoryStore();
    const c = store.createConversation().id;
    const [q] = exchange(store, c, null, 'schema check', 'fine');
    const w = store.beginAssistantMessage(c, q.id, { sampling: { temperature: 1 }, model: { fileName: 'm.gguf', sizeBytes: 1, sha256: 'f'.repeat(64) } });
    w.append('partial');
    w.fail({ code: 'engine.aborted', message: 'aborted' });
    expect(() => pageSchema(ConversationSummarySchema).parse(store.listConversations())).not.toThrow();
    expect(() => pageSchema(MessageSchema).parse(store.getActivePath(c))).not.toThrow();
    for (const m of store.siblings(w.messageId)) expect(MessageSchema.parse(m)).toEqual(m);
    for (const h of store.search('schema')) expect(SearchHitSchema.parse(h)).toEqual(h);
    store.dispose();
  });
});

describe('narrowedPrefixQuery (issue 14)', () => {
  it('cuts a last word longer than the indexed prefixes to three letters and keeps it, folded, to check', () => {
    expect(narrowedPrefixQuery('giraffe Volcà')).toEqual({ match: '"giraffe" "Vol"*', prefix: 'volca' });
    expect(narrowedPrefixQuery('what')).toEqual({ match: '"wha"*', prefix: 'what' });
    // indexed already, not a prefix, or split by the tokenizer into several tokens
    expect(narrowedPrefixQuery('the')).toBeUndefined();
    expect(narrowedPrefixQuery('vitamin a')).toBeUndefined();
    expect(narrowedPrefixQuery('e-mail')).toBeUndefined();
    expect(narrowedPrefixQuery('"quoted"')).toBeUndefined();
    expect(narrowedPrefixQuery('')).toBeUndefined();
  });

  it('checks words as FTS5 folds them: case, diacritics, separators', () => {
    expect(tokenIsPrefixed('Une crème BRÛLÉE, s’il vous plaît', 'brul')).toBe(true);
    expect(tokenIsPrefixed('saffron-rice', 'rice')).toBe(true);
    expect(tokenIsPrefixed('unsaffron', 'saff')).toBe(false);
    expect(tokenIsPrefixed('', 'saff')).toBe(false);
  });
});
