// EXPLAIN QUERY PLAN for the hot queries: each must reach messages, parts and conversations through
// an index (or the rowid), never by scanning a table, both on a fresh schema and after ANALYZE has
// seen a realistic shape of data.
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database.ts';
import { SQL } from '../../../main/store/statements.ts';
import { EDITS_SQL } from '../../../main/store/ChatEdits.ts';

type Key = keyof typeof SQL;

/** Hot queries, their sample parameters, and index names their plan must mention. */
const HOT: [Key, unknown[], string[]][] = [
  ['pathUp', [1, 50], ['USING INTEGER PRIMARY KEY', 'messages_by_parent', 'messages_by_conversation']],
  ['children', [1], ['SEARCH m USING INDEX messages_by_parent (parent_id=?)']],
  ['roots', [1], ['SEARCH m USING INDEX messages_by_conversation (conversation_id=? AND parent_id=?)']],
  ['getMessage', [1], ['SEARCH m USING INTEGER PRIMARY KEY']],
  ['getParts', [1], ['(message_id=?)']],
  ['latestLeafUnder', [1], ['messages_by_parent (parent_id=?)']],
  ['rootOf', [1], ['SEARCH p USING INTEGER PRIMARY KEY']],
  ['listConversationsFirst', [50], ['conversations_live_by_updated']],
  ['listConversationsAfter', [1, 1, 50], ['SEARCH c USING INDEX conversations_live_by_updated']],
  ['listArchivedFirst', [50], ['conversations_archived']],
  ['listArchivedAfter', [1, 1, 50], ['SEARCH c USING INDEX conversations_archived']],
  ['getConversation', [1], ['SEARCH c USING INTEGER PRIMARY KEY']],
  // FTS5 itself yields the matches newest first (no sort), so reading the first page stops there.
  ['searchNewest', [{ match: '"word"' }], ['SCAN f VIRTUAL TABLE', 'SEARCH p USING INTEGER PRIMARY KEY', 'SEARCH m USING INTEGER PRIMARY KEY', 'SEARCH c USING INTEGER PRIMARY KEY']],
  ['searchNarrowed', [{ match: '"wor"*', prefix: 'word' }], ['SCAN f VIRTUAL TABLE', 'SEARCH p USING INTEGER PRIMARY KEY', 'SEARCH c USING INTEGER PRIMARY KEY']],
  ['interruptStreaming', [], ['USING INDEX messages_streaming']],
  ['deletedBefore', [1], ['conversations_deleted']],
  ['purge', [1], ['messages_by_conversation (conversation_id=?)']],
];

/** ChatEdits' queries that run per click must not scan either. */
const EDITS_HOT: [keyof typeof EDITS_SQL, unknown[], string[]][] = [
  ['listPinned', [200], ['conversations_pinned']],
  ['reparent', [1, 2], ['messages_by_parent (parent_id=?)']],
  ['newestMessage', [1], ['messages_by_conversation (conversation_id=?)']],
  ['pathIds', [1], ['USING INTEGER PRIMARY KEY']],
];

function plan(db: Database, key: Key, params: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${SQL[key]}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}

/** A SCAN is fine only over a CTE (up, sub, r, b, top, or one materialized as a subquery), a constant row, the FTS index, or an index walked in order. */
function tableScans(details: string[]): string[] {
  return details.filter((d) => d.startsWith('SCAN ') && !/^SCAN (up|sub|r|b|top|CONSTANT ROW|\(subquery-\d+\))$/.test(d) && !/VIRTUAL TABLE/.test(d) && !/USING (COVERING )?INDEX /.test(d));
}

function checkAll(db: Database): void {
  for (const [key, params, mentions] of HOT) {
    const details = plan(db, key, params);
    expect(tableScans(details), `${key}:\n${details.join('\n')}`).toEqual([]);
    // A sort would read every match before the first one comes back.
    if (key === 'searchNewest' || key === 'searchNarrowed') expect(details.filter((d) => d.includes('TEMP B-TREE')), key).toEqual([]);
    // Opening a chat must not touch its messages (it counted them, issue 14).
    if (key === 'getConversation') expect(details.filter((d) => d.includes('messages_by_')), key).toEqual([]);
    for (const m of mentions) expect(details.join('\n'), key).toContain(m);
  }
  for (const [key, params, mentions] of EDITS_HOT) {
    const details = (db.prepare(`EXPLAIN QUERY PLAN ${EDITS_SQL[key]}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    expect(tableScans(details), `${key}:\n${details.join('\n')}`).toEqual([]);
    for (const m of mentions) expect(details.join('\n'), key).toContain(m);
  }
}

describe('query plans', () => {
  let db: Database;
  beforeAll(() => {
    db = openDatabase(':memory:');
    // ChatStore registers the real filter; planning needs only the name.
    db.function('search_prefix_check', (_text: unknown, _prefix: unknown) => 1);
  });
  afterAll(() => db.close());

  it('use indexes on a fresh schema', () => checkAll(db));

  it('still use indexes once ANALYZE has statistics for a few long chats', () => {
    const conversation = db.prepare(`INSERT INTO conversations (title, created_at, updated_at) VALUES ('t', ?, ?)`);
    const message = db.prepare(`INSERT INTO messages (conversation_id, parent_id, role, status, created_at) VALUES (?, ?, ?, 'complete', ?)`);
    const part = db.prepare(`INSERT INTO message_parts (message_id, position, kind, text) VALUES (?, 0, 'text', ?)`);
    db.transaction(() => {
      for (let c = 0; c < 20; c++) {
        const cid = Number(conversation.run(c, c).lastInsertRowid);
        let parent: number | null = null;
        for (let i = 0; i < 200; i++) {
          const id: number = Number(message.run(cid, parent, i % 2 ? 'assistant' : 'user', i).lastInsertRowid);
          part.run(id, `message ${i} of chat ${c} about word${i % 7}`);
          parent = id;
        }
      }
    })();
    db.exec('ANALYZE');
    checkAll(db);
  });
});
