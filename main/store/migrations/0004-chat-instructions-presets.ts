// Migration 4: what a chat is told and how it is kept. A chat's own instructions (Chameleon has
// no system role: they go in front of its first user turn), the preset it was set from, pinned and
// archived chats, and presets — named instructions plus sampling, saved once and picked per chat.
// Deleting a preset leaves the chats it set up as they are (their copy stays; preset_id clears).
// Append-only: once released, never edit this file.
import type { Migration } from './types.ts';

export const migration0004: Migration = {
  version: 4,
  name: 'chat-instructions-presets',
  up(db) {
    db.exec(`
      CREATE TABLE presets (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        name           TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
        instructions   TEXT    NOT NULL DEFAULT '',
        sampling_json  TEXT    CHECK (sampling_json IS NULL OR json_valid(sampling_json)),
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      );
      ALTER TABLE conversations ADD COLUMN instructions TEXT;
      ALTER TABLE conversations ADD COLUMN preset_id INTEGER REFERENCES presets (id) ON DELETE SET NULL;
      ALTER TABLE conversations ADD COLUMN pinned_at INTEGER;
      ALTER TABLE conversations ADD COLUMN archived_at INTEGER;
      -- The sidebar's pinned group and its Archived view: few rows each, found without a scan.
      CREATE INDEX conversations_pinned ON conversations (updated_at DESC, id DESC) WHERE deleted_at IS NULL AND archived_at IS NULL AND pinned_at IS NOT NULL;
      CREATE INDEX conversations_archived ON conversations (updated_at DESC, id DESC) WHERE deleted_at IS NULL AND archived_at IS NOT NULL;
      CREATE INDEX conversations_by_preset ON conversations (preset_id) WHERE preset_id IS NOT NULL;
    `);
  },
};
