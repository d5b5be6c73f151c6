// All of the store's SQL, prepared once per connection, parameters always bound (house style rule 7).
// Schema DDL lives in the numbered migrations.
import type { Database, Statement } from 'better-sqlite3';

export interface ConversationRow {
  id: number;
  title: string;
  title_is_custom: 0 | 1;
  created_at: number;
  updated_at: number;
  active_leaf_id: number | null;
  deleted_at: number | null;
  message_count: number;
  sampling_json: string | null;
  instructions: string | null;
  preset_id: number | null;
  pinned_at: number | null;
  archived_at: number | null;
}

export interface MessageRow {
  id: number;
  conversation_id: number;
  parent_id: number | null;
  role: string;
  status: string;
  created_at: number;
  sampling_json: string | null;
  seed: number | null;
  model_file_name: string | null;
  model_size_bytes: number | null;
  model_sha256: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  prompt_ms: number | null;
  first_token_ms: number | null;
  total_ms: number | null;
  tokens_per_second: number | null;
  error_json: string | null;
  engine_json: string | null;
  sibling_index: number;
  sibling_count: number;
}

export interface PartRow {
  id: number;
  message_id: number;
  position: number;
  kind: 'text' | 'image' | 'generated_image';
  text: string | null;
  image_hash: string | null;
  image_mime: string | null;
  image_width: number | null;
  image_height: number | null;
  /** 1 for a generated image stopped before its 1024th code (its stored codes are fewer). */
  partial?: number;
}

export interface SearchRow {
  message_id: number;
  conversation_id: number;
  title: string;
  role: string;
  created_at: number;
  snippet: string;
}

export const CONVERSATION_COLUMNS = `c.id, c.title, c.title_is_custom, c.created_at, c.updated_at, c.active_leaf_id, c.deleted_at,
  c.sampling_json, c.instructions, c.preset_id, c.pinned_at, c.archived_at, c.message_count`;

// Siblings are ordered by id (creation order). Roots are siblings within their conversation.
const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.parent_id, m.role, m.status, m.created_at, m.sampling_json, m.seed,
  m.model_file_name, m.model_size_bytes, m.model_sha256, m.prompt_tokens, m.completion_tokens,
  m.prompt_ms, m.first_token_ms, m.total_ms, m.tokens_per_second, m.error_json, m.engine_json,
  CASE WHEN m.parent_id IS NULL
    THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL AND s.id < m.id)
    ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id AND s.id < m.id) END AS sibling_index,
  CASE WHEN m.parent_id IS NULL
    THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL)
    ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id) END AS sibling_count`;

/** The SQL text of every statement, exported so tests can EXPLAIN QUERY PLAN the hot ones. */
export const SQL = {
  insertConversation: `INSERT INTO conversations (title, title_is_custom, created_at, updated_at) VALUES (?, 0, ?, ?)`,
  getConversation: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?`,
  listConversationsFirst: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND c.archived_at IS NULL
    ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`,
  listConversationsAfter: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND c.archived_at IS NULL
    AND (c.updated_at, c.id) < (?, ?) ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`,
  /** The sidebar's Archived view, keyset-paged like the list. */
  listArchivedFirst: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND c.archived_at IS NOT NULL
    ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`,
  listArchivedAfter: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND c.archived_at IS NOT NULL
    AND (c.updated_at, c.id) < (?, ?) ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`,
  setTitle: `UPDATE conversations SET title = ?, title_is_custom = ? WHERE id = ?`,
  setAutoTitle: `UPDATE conversations SET title = ? WHERE id = ? AND title_is_custom = 0`,
  setActiveLeaf: `UPDATE conversations SET active_leaf_id = ? WHERE id = ?`,
  setSampling: `UPDATE conversations SET sampling_json = ? WHERE id = ?`,
  touchConversation: `UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?`,
  softDelete: `UPDATE conversations SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`,
  restore: `UPDATE conversations SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL`,
  purge: `DELETE FROM conversations WHERE id = ?`,
  deletedBefore: `SELECT id FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?`,

  insertMessage: `INSERT INTO messages (conversation_id, parent_id, role, status, created_at, sampling_json, seed,
    model_file_name, model_size_bytes, model_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  setEngine: `UPDATE messages SET engine_json = ? WHERE id = ?`,
  insertPart: `INSERT INTO message_parts (message_id, position, kind, text, image_hash, image_mime, image_width, image_height)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  updatePartText: `UPDATE message_parts SET text = ? WHERE id = ?`,
  finishMessage: `UPDATE messages SET status = ?, seed = coalesce(?, seed), prompt_tokens = ?, completion_tokens = ?,
    prompt_ms = ?, first_token_ms = ?, total_ms = ?, tokens_per_second = ?, error_json = ? WHERE id = ? AND status = 'streaming'`,
  interruptStreaming: `UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'`,
  /** An ended answer streams again (Continue): same row, its error cleared. */
  reopenMessage: `UPDATE messages SET status = 'streaming', error_json = NULL WHERE id = ? AND status != 'streaming'`,
  hasChildren: `SELECT 1 FROM messages WHERE parent_id = ? LIMIT 1`,
  getMessage: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?`,
  // A generated image whose codes row is shorter than 1024 codes (2048 bytes) was stopped mid-way.
  getParts: `SELECT p.*, (p.kind = 'generated_image' AND EXISTS (SELECT 1 FROM image_codes c WHERE c.image_sha256 = p.image_hash AND length(c.codes) < 2048)) AS partial
    FROM message_parts p WHERE p.message_id = ? ORDER BY p.position`,
  nextPartPosition: `SELECT coalesce(max(position), -1) + 1 FROM message_parts WHERE message_id = ?`,
  children: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.parent_id = ? ORDER BY m.id`,
  roots: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ? AND m.parent_id IS NULL ORDER BY m.id`,
  /** Walk up from a message by parent_id: up to `limit` messages ending at it, oldest first. */
  pathUp: `WITH RECURSIVE up(id, n) AS (
      SELECT ?, 0
      UNION ALL
      SELECT p.parent_id, up.n + 1 FROM up JOIN messages p ON p.id = up.id WHERE p.parent_id IS NOT NULL AND up.n + 1 < ?
    )
    SELECT ${MESSAGE_COLUMNS} FROM up JOIN messages m ON m.id = up.id ORDER BY up.n DESC`,
  /** The newest message under (and including) a message: ids only grow, so it is the newest leaf. */
  latestLeafUnder: `WITH RECURSIVE sub(id) AS (
      SELECT ?
      UNION ALL
      SELECT c.id FROM sub JOIN messages c ON c.parent_id = sub.id
    )
    SELECT max(id) AS id FROM sub`,
  /** The first message of the branch ending at a message. */
  rootOf: `WITH RECURSIVE up(id, parent_id) AS (
      SELECT id, parent_id FROM messages WHERE id = ?
      UNION ALL
      SELECT p.id, p.parent_id FROM up JOIN messages p ON p.id = up.parent_id
    )
    SELECT id FROM up WHERE parent_id IS NULL`,

  /**
   * Matching text parts, newest first, with their snippets (\u0002 … \u0003, see contract/chat.ts).
   * FTS5 walks its index by rowid and SQLite steps this lazily, so reading the first page stops
   * after that page: the cost follows the page, not how many messages hold the word. Ranking by
   * bm25 cannot stop early (it counts every row of every term first: 93 ms for a common word at
   * 1 000 000 messages, issue 14; `npm run bench:store` prints both). ChatStore.search keeps one
   * hit per message. Named parameter: @match.
   */
  searchNewest: `SELECT p.message_id, m.conversation_id, c.title, m.role, m.created_at,
      snippet(message_parts_fts, 0, char(2), char(3), '…', 16) AS snippet
    FROM message_parts_fts f
    CROSS JOIN message_parts p ON p.id = f.rowid
    CROSS JOIN messages m ON m.id = p.message_id
    CROSS JOIN conversations c ON c.id = m.conversation_id
    WHERE message_parts_fts MATCH @match AND c.deleted_at IS NULL
    ORDER BY f.rowid DESC`,
  /**
   * A narrowed prefix search (ftsQuery.ts), newest first: FTS5 streams the indexed 3-letter prefix
   * and search_prefix_check (registered by ChatStore) keeps the candidates with a word of the typed
   * prefix, so snippets are made only for those; once its candidate budget is spent it lets one
   * row through and says so, and ChatStore runs FTS5's own prefix query instead.
   * Named parameters: @match, @prefix.
   */
  searchNarrowed: `SELECT p.message_id, m.conversation_id, c.title, m.role, m.created_at,
      snippet(message_parts_fts, 0, char(2), char(3), '…', 16) AS snippet
    FROM message_parts_fts f
    CROSS JOIN message_parts p ON p.id = f.rowid
    CROSS JOIN messages m ON m.id = p.message_id
    CROSS JOIN conversations c ON c.id = m.conversation_id
    WHERE message_parts_fts MATCH @match AND c.deleted_at IS NULL AND search_prefix_check(p.text, @prefix)
    ORDER BY f.rowid DESC`,
} as const;

export type Statements = { [K in keyof typeof SQL]: Statement<unknown[], unknown> };

export function prepareStatements(db: Database): Statements {
  const out = {} as Record<keyof typeof SQL, Statement<unknown[], unknown>>;
  for (const key of Object.keys(SQL) as (keyof typeof SQL)[]) out[key] = db.prepare(SQL[key]);
  return out;
}
