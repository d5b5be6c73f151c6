// Migration 6: which engine answered a message — this computer or a remote one
// (llama-server, vLLM) — and the model it served, as JSON {kind, name, model}. NULL for messages
// written before engines existed and for user messages.
// Append-only: once released, never edit this file.
import type { Migration } from './types.ts';

export const migration0006: Migration = {
  version: 6,
  name: 'message-engine',
  up(db) {
    db.exec(`ALTER TABLE messages ADD COLUMN engine_json TEXT CHECK (engine_json IS NULL OR json_valid(engine_json))`);
  },
};
