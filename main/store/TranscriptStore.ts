// Whole-conversation reads and writes for export and import (main/export): keyset pages over every
// message of a conversation (all branches), the active path's ids, and a one-transaction import of
// a complete message tree. It shares ChatStore's connection (ChatStore.transcripts()); its SQL is
// prepared once, parameters always bound.
import type { Database, Statement } from 'better-sqlite3';
import type {
  ConversationSummary,
  Message,
  MessagePart,
  MessageRole,
  MessageStatus,
  MessageTimings,
  ModelIdentity,
  SamplingJson,
  TokenCounts,
} from '../contract/chat.ts';
import type { SamplingOverrides } from '../contract/engine.ts';
import type { ErrorData } from '../contract/errors.ts';
import { AppError } from '../contract/errors.ts';
import type { MessageEngine } from '../contract/remoteEngines.ts';
import { partColumns, toConversation, toMessage, toPart } from './rows.ts';
import { CONVERSATION_COLUMNS, type ConversationRow, type MessageRow, type PartRow } from './statements.ts';

/** A message as exported: the tree's facts without the UI's sibling position (parentId + id order give it). */
export type StoredMessage = Omit<Message, 'siblingIndex' | 'siblingCount'>;

/** One message of a tree to import; `key` is any id unique within the tree, parents come before children. */
export interface ImportMessage {
  key: number;
  parentKey: number | null;
  role: MessageRole;
  status: MessageStatus;
  parts: MessagePart[];
  sampling?: SamplingJson;
  seed?: number;
  model?: ModelIdentity;
  engine?: MessageEngine;
  tokens?: TokenCounts;
  timings?: MessageTimings;
  error?: ErrorData;
  createdAt: number;
}

export interface ImportConversation {
  title: string;
  titleIsCustom: boolean;
  createdAt: number;
  updatedAt: number;
  /** The key of the message shown; absent: the newest message, or none for an empty chat. */
  activeLeafKey?: number;
  /** The chat's own sampling settings, written with it. */
  sampling?: SamplingOverrides;
  /** The chat's own instructions (front of the first user turn). */
  instructions?: string;
  /** A preset of this database the chat was set from (a fork keeps it; an import has none). */
  presetId?: number;
  pinned?: boolean;
  archived?: boolean;
  messages: Iterable<ImportMessage>;
  /** Runs first inside the import's transaction (stores the transcript's images on the same connection). */
  prepare?: () => void;
}

// Sibling position is left out (0 of 1): computing it per row costs two subqueries the export never needs.
const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.parent_id, m.role, m.status, m.created_at, m.sampling_json, m.seed,
  m.model_file_name, m.model_size_bytes, m.model_sha256, m.prompt_tokens, m.completion_tokens,
  m.prompt_ms, m.first_token_ms, m.total_ms, m.tokens_per_second, m.error_json, m.engine_json, 0 AS sibling_index, 1 AS sibling_count`;

export const TRANSCRIPT_SQL = {
  liveConversationsById: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND c.id > ? ORDER BY c.id LIMIT ?`,
  /** Ids of every message of a conversation, oldest first: ids only grow, so parents come first. One
   * sort of integers from the covering index, instead of a sort of whole rows per page. */
  messageIds: `SELECT m.id FROM messages m WHERE m.conversation_id = ? ORDER BY m.id`,
  messagesByIds: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id IN (SELECT value FROM json_each(?)) ORDER BY m.id`,
  partsOfRange: `SELECT p.* FROM message_parts p WHERE p.message_id IN (SELECT value FROM json_each(?)) ORDER BY p.message_id, p.position`,
  /** Ids of the branch ending at a message, root first. */
  pathIds: `WITH RECURSIVE up(id, parent_id, n) AS (
      SELECT id, parent_id, 0 FROM messages WHERE id = ?
      UNION ALL
      SELECT p.id, p.parent_id, up.n + 1 FROM up JOIN messages p ON p.id = up.parent_id
    )
    SELECT id FROM up ORDER BY n DESC`,
  insertConversation: `INSERT INTO conversations (title, title_is_custom, created_at, updated_at, sampling_json, instructions, preset_id, pinned_at, archived_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertMessage: `INSERT INTO messages (conversation_id, parent_id, role, status, created_at, sampling_json, seed, model_file_name,
    model_size_bytes, model_sha256, prompt_tokens, completion_tokens, prompt_ms, first_token_ms, total_ms, tokens_per_second, error_json)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  setEngine: `UPDATE messages SET engine_json = ? WHERE id = ?`,
  insertPart: `INSERT INTO message_parts (message_id, position, kind, text, image_hash, image_mime, image_width, image_height)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  setActiveLeaf: `UPDATE conversations SET active_leaf_id = ? WHERE id = ?`,
  getConversation: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?`,
  /** A live chat this import would duplicate (same title and creation time). Imports are rare: a scan is fine. */
  liveTwin: `SELECT 1 FROM conversations c WHERE c.deleted_at IS NULL AND c.title = ? AND c.created_at = ? LIMIT 1`,
} as const;

/** What a re-imported chat is called, so it never sits beside its twin unmarked. */
export function reimportedTitle(title: string): string {
  return `${title.trim() || 'Imported chat'} (imported again)`;
}

type TranscriptStatements = { [K in keyof typeof TRANSCRIPT_SQL]: Statement<unknown[], unknown> };

function strip(message: Message): StoredMessage {
  const { siblingIndex: _i, siblingCount: _c, ...rest } = message;
  return rest;
}

export class TranscriptStore {
  readonly #db: Database;
  readonly #st: TranscriptStatements;
  readonly #isOpen: () => void;

  /** Built by ChatStore.transcripts(); `checkOpen` throws store.closed once the connection is closed. */
  constructor(db: Database, checkOpen: () => void) {
    this.#db = db;
    this.#isOpen = checkOpen;
    const st = {} as Record<keyof typeof TRANSCRIPT_SQL, Statement<unknown[], unknown>>;
    for (const key of Object.keys(TRANSCRIPT_SQL) as (keyof typeof TRANSCRIPT_SQL)[])
      st[key] = db.prepare(TRANSCRIPT_SQL[key]);
    this.#st = st;
  }

  /** Live conversations in id order, keyset-paged: pass the last id of the previous page. */
  conversationsAfter(afterId: number, limit: number): ConversationSummary[] {
    this.#isOpen();
    return (this.#st.liveConversationsById.all(afterId, limit) as ConversationRow[]).map(toConversation);
  }

  /** Ids of every message of a conversation (every branch), parents first. */
  messageIds(conversationId: number): number[] {
    this.#isOpen();
    return (this.#st.messageIds.all(conversationId) as { id: number }[]).map((r) => r.id);
  }

  /** The messages with these ids, in id order (for paging through a path's ids). */
  messagesByIds(ids: readonly number[]): StoredMessage[] {
    this.#isOpen();
    return this.#withParts(this.#st.messagesByIds.all(JSON.stringify(ids)) as MessageRow[]);
  }

  /** Ids of the active branch, first message first (ids only: 10 000 of them are 80 KB). */
  activePathIds(conversation: ConversationSummary): number[] {
    this.#isOpen();
    if (conversation.activeLeafId === undefined) return [];
    return (this.#st.pathIds.all(conversation.activeLeafId) as { id: number }[]).map((r) => r.id);
  }

  /** Write whole conversations in one transaction: all of them or (on any error) nothing. */
  importConversations(inputs: readonly ImportConversation[]): ConversationSummary[] {
    this.#isOpen();
    const ids = this.#db.transaction(() => inputs.map((input) => this.#insertConversation(input)))();
    return ids.map((id) => toConversation(this.#st.getConversation.get(id) as ConversationRow));
  }

  #insertConversation(input: ImportConversation): number {
    input.prepare?.();
    const twin = this.#st.liveTwin.get(input.title, input.createdAt) !== undefined;
    const conversationId = Number(
      this.#st.insertConversation.run(
        twin ? reimportedTitle(input.title) : input.title,
        input.titleIsCustom || twin ? 1 : 0,
        input.createdAt,
        input.updatedAt,
        input.sampling && Object.keys(input.sampling).length > 0 ? JSON.stringify(input.sampling) : null,
        input.instructions?.trim() ? input.instructions : null,
        input.presetId ?? null,
        input.pinned ? input.updatedAt : null,
        input.archived ? input.updatedAt : null,
      ).lastInsertRowid,
    );
    const ids = new Map<number, number>();
    let newest: number | undefined;
    for (const m of input.messages) {
      if (ids.has(m.key)) throw new AppError('import.invalid', 'Two messages share one id', { id: m.key });
      const parentId = m.parentKey === null ? null : ids.get(m.parentKey);
      if (parentId === undefined)
        throw new AppError('import.invalid', 'A message refers to a parent that does not come before it', {
          id: m.key,
          parentId: m.parentKey,
        });
      const row = this.#st.insertMessage.run(
        conversationId,
        parentId,
        m.role,
        m.status,
        m.createdAt,
        m.sampling ? JSON.stringify(m.sampling) : null,
        m.seed ?? null,
        m.model?.fileName ?? null,
        m.model?.sizeBytes ?? null,
        m.model?.sha256 ?? null,
        m.tokens?.prompt ?? null,
        m.tokens?.completion ?? null,
        m.timings?.promptMs ?? null,
        m.timings?.firstTokenMs ?? null,
        m.timings?.totalMs ?? null,
        m.timings?.tokensPerSecond ?? null,
        m.error ? JSON.stringify(m.error) : null,
      );
      const messageId = Number(row.lastInsertRowid);
      if (m.engine) this.#st.setEngine.run(JSON.stringify(m.engine), messageId);
      m.parts.forEach((part, position) => this.#st.insertPart.run(messageId, position, ...partColumns(part)));
      ids.set(m.key, messageId);
      newest = messageId;
    }
    const leaf = input.activeLeafKey === undefined ? newest : ids.get(input.activeLeafKey);
    if (input.activeLeafKey !== undefined && leaf === undefined)
      throw new AppError('import.invalid', 'The active message is not in the conversation', {
        id: input.activeLeafKey,
      });
    if (leaf !== undefined) this.#st.setActiveLeaf.run(leaf, conversationId);
    return conversationId;
  }

  #withParts(rows: MessageRow[]): StoredMessage[] {
    if (rows.length === 0) return [];
    const parts = new Map<number, MessagePart[]>();
    for (const p of this.#st.partsOfRange.all(JSON.stringify(rows.map((r) => r.id))) as PartRow[]) {
      const list = parts.get(p.message_id) ?? [];
      list.push(toPart(p));
      parts.set(p.message_id, list);
    }
    return rows.map((r) => strip(toMessage(r, parts.get(r.id) ?? [])));
  }
}
