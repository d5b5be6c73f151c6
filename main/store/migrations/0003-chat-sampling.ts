// Migration 3: a chat's own sampling settings live with the chat. They used to sit in a JSON file
// beside the database, keyed by id: deleting a chat left them behind, exports did not carry them,
// and a write could not share a transaction with the chat. NULL: the chat uses the app defaults.
// Append-only: once released, never edit this file.
import type { Migration } from './types.ts';

export const migration0003: Migration = {
  version: 3,
  name: 'chat-sampling',
  up(db) {
    db.exec(`ALTER TABLE conversations ADD COLUMN sampling_json TEXT CHECK (sampling_json IS NULL OR json_valid(sampling_json))`);
  },
};
