// The export's reads must use an index, never scan the messages table or sort whole rows: a
// 10 000-message chat is exported page by page (house style: EXPLAIN QUERY PLAN per hot query).
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database.ts';
import { TRANSCRIPT_SQL } from '../../../main/store/TranscriptStore.ts';

function plan(sql: string, ...params: unknown[]): string {
  const db = openDatabase(':memory:');
  try {
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');
  } finally {
    db.close();
  }
}

describe('transcript store query plans', () => {
  it('lists a conversation’s message ids from the covering index', () => {
    expect(plan(TRANSCRIPT_SQL.messageIds, 1)).toMatch(
      /^SEARCH m USING COVERING INDEX messages_by_conversation \(conversation_id=\?\)/,
    );
  });
  it('loads a page of messages and their parts by key', () => {
    expect(plan(TRANSCRIPT_SQL.messagesByIds, '[1]')).toContain(
      'SEARCH m USING INTEGER PRIMARY KEY (rowid=?)',
    );
    expect(plan(TRANSCRIPT_SQL.partsOfRange, '[1]')).toContain(
      'SEARCH p USING INDEX sqlite_autoindex_message_parts_1 (message_id=?)',
    );
  });
  it('walks the active path and the conversations by primary key', () => {
    const path = plan(TRANSCRIPT_SQL.pathIds, 1);
    expect(path).toContain('SEARCH p USING INTEGER PRIMARY KEY (rowid=?)');
    expect(path).not.toMatch(/SCAN (messages|p)\b/);
    expect(plan(TRANSCRIPT_SQL.liveConversationsById, 0, 10)).toMatch(
      /^SEARCH c USING INTEGER PRIMARY KEY \(rowid>\?\)/,
    );
  });
});
