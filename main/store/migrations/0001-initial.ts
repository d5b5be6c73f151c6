// Migration 1: conversations, the message tree, ordered message parts and their full-text index.
// Append-only: once released, never edit this file; change the schema in a new numbered migration.
// Room left for 0002 (images): message_parts already carries image_hash/mime/size, and the
// content-addressed image files plus a codes cache keyed by (image hash, tokenizer-weights hash)
// get their own tables there.
import type { Migration } from './types.ts';

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE conversations (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        title            TEXT    NOT NULL DEFAULT '',
        title_is_custom  INTEGER NOT NULL DEFAULT 0 CHECK (title_is_custom IN (0, 1)),
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        -- The last message of the branch on screen; the path to it is found through parent_id.
        -- No foreign key: it is set and cleared together with the tree, in the same transactions.
        active_leaf_id   INTEGER,
        -- Soft delete, so the UI can undo; purge removes the row and (by cascade) its messages.
        deleted_at       INTEGER
      );
      -- The sidebar: live conversations, newest activity first, keyset-paginated on (updated_at, id).
      CREATE INDEX conversations_live_by_updated ON conversations (updated_at DESC, id DESC) WHERE deleted_at IS NULL;
      CREATE INDEX conversations_deleted ON conversations (deleted_at) WHERE deleted_at IS NOT NULL;

      CREATE TABLE messages (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id     INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        -- NULL for a first message. Edits and regenerations are siblings under the same parent.
        -- No ON DELETE CASCADE: cascading down a 10 000-message chain nests one trigger level per
        -- message and hits SQLite's depth limit. A conversation's messages go in one statement via
        -- conversation_id instead; deleting one message that still has children is refused.
        parent_id           INTEGER REFERENCES messages (id),
        role                TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        status              TEXT    NOT NULL CHECK (status IN ('streaming', 'complete', 'stopped', 'interrupted', 'error')),
        created_at          INTEGER NOT NULL,
        sampling_json       TEXT,
        seed                INTEGER,
        model_file_name     TEXT,
        model_size_bytes    INTEGER,
        model_sha256        TEXT,
        prompt_tokens       INTEGER,
        completion_tokens   INTEGER,
        prompt_ms           REAL,
        first_token_ms      REAL,
        total_ms            REAL,
        tokens_per_second   REAL,
        error_json          TEXT
      );
      -- Children of a message (siblings, subtree walks) and the parent_id foreign-key check.
      CREATE INDEX messages_by_parent ON messages (parent_id, id);
      -- First messages of a conversation (root siblings: parent_id IS NULL), counting a conversation's
      -- messages, and the conversation_id foreign-key cascade.
      CREATE INDEX messages_by_conversation ON messages (conversation_id, parent_id, id);
      -- Crash recovery on open finds rows left mid-stream without scanning.
      CREATE INDEX messages_streaming ON messages (id) WHERE status = 'streaming';

      CREATE TABLE message_parts (
        id            INTEGER PRIMARY KEY,
        message_id    INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        kind          TEXT    NOT NULL CHECK (kind IN ('text', 'image', 'generated_image')),
        text          TEXT,
        image_hash    TEXT,
        image_mime    TEXT,
        image_width   INTEGER,
        image_height  INTEGER,
        CHECK ((kind = 'text') = (text IS NOT NULL)),
        CHECK ((kind = 'text') = (image_hash IS NULL)),
        UNIQUE (message_id, position)
      );
      CREATE INDEX message_parts_by_image ON message_parts (image_hash) WHERE image_hash IS NOT NULL;

      -- External-content FTS5 over the text parts; the triggers below are the only writers.
      CREATE VIRTUAL TABLE message_parts_fts USING fts5 (
        text,
        content = 'message_parts',
        content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2',
        -- Search runs as you type, the last word as a prefix: index 2- and 3-character prefixes.
        prefix = '2 3'
      );
      CREATE TRIGGER message_parts_fts_insert AFTER INSERT ON message_parts WHEN new.kind = 'text' BEGIN
        INSERT INTO message_parts_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER message_parts_fts_delete AFTER DELETE ON message_parts WHEN old.kind = 'text' BEGIN
        INSERT INTO message_parts_fts (message_parts_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      -- One trigger for both halves: separate AFTER UPDATE triggers fire in an unspecified order,
      -- and indexing the new text before deleting the old corrupts the index.
      CREATE TRIGGER message_parts_fts_update AFTER UPDATE OF kind, text ON message_parts BEGIN
        INSERT INTO message_parts_fts (message_parts_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.kind = 'text';
        INSERT INTO message_parts_fts (rowid, text) SELECT new.id, new.text WHERE new.kind = 'text';
      END;
    `);
  },
};
