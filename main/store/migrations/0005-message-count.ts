// Migration 5: a conversation keeps its own message count. Opening a chat read it with a count(*)
// over the chat's messages, which grew with the chat (3.3 ms at 100 000 messages, issue 14); the
// triggers keep the column exact for every writer (answers, imports, deletes, purges).
// Append-only: once released, never edit this file.
import type { Migration } from './types.ts';

export const migration0005: Migration = {
  version: 5,
  name: 'message-count',
  up(db) {
    db.exec(`
      ALTER TABLE conversations ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
      UPDATE conversations SET message_count = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id);
      CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
      END;
      -- During a purge the conversation row is already gone and this updates nothing.
      CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
      END;
      CREATE TRIGGER messages_count_move AFTER UPDATE OF conversation_id ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
      END;
    `);
  },
};
