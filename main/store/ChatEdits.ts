// Changing a conversation after the fact: a chat's instructions, pin and archive, editing one
// message's text in place, deleting one message, forking a chat from a message. Shares ChatStore's
// connection (ChatStore.edits()); each change is one synchronous transaction, SQL prepared once.
import type { Database, Statement } from 'better-sqlite3';
import type { ConversationSummary, MessagePart } from '../contract/chat.ts';
import { INSTRUCTIONS_MAX_CHARS, TITLE_MAX_CHARS } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import { partColumns, toConversation, toPart } from './rows.ts';
import type { ConversationRow, PartRow } from './statements.ts';
import { CONVERSATION_COLUMNS } from './statements.ts';
import type { TranscriptStore } from './TranscriptStore.ts';

export const EDITS_SQL = {
  setInstructions: `UPDATE conversations SET instructions = ? WHERE id = ?`,
  setPinned: `UPDATE conversations SET pinned_at = ? WHERE id = ?`,
  /** Archiving unpins: a pinned chat that is archived would head a list it is not in. */
  setArchived: `UPDATE conversations SET archived_at = ?, pinned_at = CASE WHEN ? IS NULL THEN pinned_at ELSE NULL END WHERE id = ?`,
  listPinned: `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND c.archived_at IS NULL AND c.pinned_at IS NOT NULL
    ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`,
  message: `SELECT id, conversation_id, parent_id, role, status FROM messages WHERE id = ?`,
  parts: `SELECT * FROM message_parts WHERE message_id = ? ORDER BY position`,
  deleteParts: `DELETE FROM message_parts WHERE message_id = ?`,
  insertPart: `INSERT INTO message_parts (message_id, position, kind, text, image_hash, image_mime, image_width, image_height)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  reparent: `UPDATE messages SET parent_id = ? WHERE parent_id = ?`,
  reparentRoots: `UPDATE messages SET parent_id = NULL WHERE parent_id = ?`,
  deleteMessage: `DELETE FROM messages WHERE id = ?`,
  /** Ids only grow and a child is always newer than its parent, so the newest message is a leaf. */
  newestMessage: `SELECT max(id) AS id FROM messages WHERE conversation_id = ?`,
  activeLeaf: `SELECT active_leaf_id FROM conversations WHERE id = ?`,
  setActiveLeaf: `UPDATE conversations SET active_leaf_id = ? WHERE id = ?`,
  touch: `UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?`,
  pathIds: `WITH RECURSIVE up(id, parent_id, n) AS (
      SELECT id, parent_id, 0 FROM messages WHERE id = ?
      UNION ALL
      SELECT p.id, p.parent_id, up.n + 1 FROM up JOIN messages p ON p.id = up.parent_id
    )
    SELECT id FROM up ORDER BY n DESC`,
} as const;

const PINNED_MAX = 200;
const FORK_SUFFIX = ' (fork)';

export interface ChatEditsDeps {
  now: () => number;
  /** A live conversation's summary (store.notFound otherwise). */
  conversation: (id: number) => ConversationSummary;
  /** The derived title follows the branch on screen again (after its first message changed). */
  retitle: (conversationId: number) => void;
  transcripts: () => TranscriptStore;
  checkOpen: () => void;
}

interface MessageHead {
  id: number;
  conversation_id: number;
  parent_id: number | null;
  role: string;
  status: string;
}

/**
 * A message's parts with `text` in place of its text (at the first text part's position), its
 * images kept where they were; the user's edit-and-resend builds its parts the same way.
 */
export function replaceText(parts: readonly MessagePart[], text: string): MessagePart[] {
  const out: MessagePart[] = [];
  let placed = false;
  for (const p of parts) {
    if (p.kind !== 'text') out.push(p);
    else if (!placed) {
      placed = true;
      if (text !== '') out.push({ kind: 'text', text });
    }
  }
  if (!placed && text !== '') out.push({ kind: 'text', text });
  return out;
}

export class ChatEdits {
  readonly #db: Database;
  readonly #st: { [K in keyof typeof EDITS_SQL]: Statement<unknown[], unknown> };
  readonly #d: ChatEditsDeps;

  constructor(db: Database, deps: ChatEditsDeps) {
    this.#db = db;
    this.#d = deps;
    const st = {} as Record<keyof typeof EDITS_SQL, Statement<unknown[], unknown>>;
    for (const key of Object.keys(EDITS_SQL) as (keyof typeof EDITS_SQL)[]) st[key] = db.prepare(EDITS_SQL[key]);
    this.#st = st;
  }

  /** The chat's own instructions; empty clears them. */
  setInstructions(id: number, text: string): ConversationSummary {
    this.#d.conversation(id);
    const clean = text.trim();
    if (clean.length > INSTRUCTIONS_MAX_CHARS) throw new AppError('api.badRequest', `Instructions hold at most ${INSTRUCTIONS_MAX_CHARS} characters.`);
    this.#st.setInstructions.run(clean === '' ? null : clean, id);
    return this.#d.conversation(id);
  }

  setPinned(id: number, pinned: boolean): ConversationSummary {
    this.#d.conversation(id);
    this.#st.setPinned.run(pinned ? this.#d.now() : null, id);
    return this.#d.conversation(id);
  }

  setArchived(id: number, archived: boolean): ConversationSummary {
    this.#d.conversation(id);
    const at = archived ? this.#d.now() : null;
    this.#st.setArchived.run(at, at, id);
    return this.#d.conversation(id);
  }

  /** Pinned, unarchived chats, most recently active first (the sidebar's top group). */
  pinned(): ConversationSummary[] {
    this.#d.checkOpen();
    return (this.#st.listPinned.all(PINNED_MAX) as ConversationRow[]).map(toConversation);
  }

  /** Replace a message's text in place (its images stay): correcting an answer, say. */
  editText(messageId: number, text: string): ConversationSummary {
    const conversationId = this.#db.transaction(() => {
      const m = this.#head(messageId);
      if (m.status === 'streaming') throw new AppError('store.conflict', 'This answer is still being written.', { messageId });
      const parts = replaceText((this.#st.parts.all(messageId) as PartRow[]).map(toPart), text.trim());
      if (parts.length === 0) throw new AppError('api.badRequest', 'The message would be empty; delete it instead.', { messageId });
      this.#st.deleteParts.run(messageId);
      parts.forEach((part, position) => this.#st.insertPart.run(messageId, position, ...partColumns(part)));
      if (m.parent_id === null) this.#d.retitle(m.conversation_id);
      this.#st.touch.run(this.#d.now(), m.conversation_id);
      return m.conversation_id;
    })();
    return this.#d.conversation(conversationId);
  }

  /**
   * Delete one message: what followed it moves up to its parent (the rest of the branch stays).
   * The branch shown loses just that message; deleting the last one shows its parent.
   */
  deleteMessage(messageId: number): ConversationSummary {
    const conversationId = this.#db.transaction(() => {
      const m = this.#head(messageId);
      if (m.status === 'streaming') throw new AppError('store.conflict', 'Stop the answer before deleting it.', { messageId });
      if (m.parent_id === null) this.#st.reparentRoots.run(m.id);
      else this.#st.reparent.run(m.parent_id, m.id);
      this.#st.deleteMessage.run(m.id);
      const leaf = (this.#st.activeLeaf.get(m.conversation_id) as { active_leaf_id: number | null }).active_leaf_id;
      if (leaf === m.id) {
        const next = m.parent_id ?? (this.#st.newestMessage.get(m.conversation_id) as { id: number | null }).id;
        this.#st.setActiveLeaf.run(next, m.conversation_id);
      }
      this.#d.retitle(m.conversation_id);
      this.#st.touch.run(this.#d.now(), m.conversation_id);
      return m.conversation_id;
    })();
    return this.#d.conversation(conversationId);
  }

  /** A new chat holding the branch from the first message down to `messageId`, with this chat's settings. */
  fork(messageId: number): ConversationSummary {
    const m = this.#head(messageId);
    const source = this.#d.conversation(m.conversation_id);
    const transcripts = this.#d.transcripts();
    const ids = (this.#st.pathIds.all(messageId) as { id: number }[]).map((r) => r.id);
    const messages = transcripts.messagesByIds(ids);
    const now = this.#d.now();
    const base = source.title.trim() || 'New chat';
    const [chat] = transcripts.importConversations([
      {
        title: `${[...base].slice(0, TITLE_MAX_CHARS - FORK_SUFFIX.length).join('')}${FORK_SUFFIX}`,
        titleIsCustom: true,
        createdAt: now,
        updatedAt: now,
        ...(source.sampling ? { sampling: source.sampling } : {}),
        ...(source.instructions ? { instructions: source.instructions } : {}),
        ...(source.presetId !== undefined ? { presetId: source.presetId } : {}),
        messages: messages.map((x) => ({
          key: x.id,
          parentKey: x.parentId,
          role: x.role,
          // A copy of an answer still being written is the text so far.
          status: x.status === 'streaming' ? 'interrupted' : x.status,
          parts: x.parts,
          ...(x.sampling ? { sampling: x.sampling } : {}),
          ...(x.seed !== undefined ? { seed: x.seed } : {}),
          ...(x.model ? { model: x.model } : {}),
          ...(x.tokens ? { tokens: x.tokens } : {}),
          ...(x.timings ? { timings: x.timings } : {}),
          ...(x.error ? { error: x.error } : {}),
          createdAt: x.createdAt,
        })),
      },
    ]);
    return chat!;
  }

  #head(messageId: number): MessageHead {
    this.#d.checkOpen();
    const m = this.#st.message.get(messageId) as MessageHead | undefined;
    if (!m) throw new AppError('store.notFound', 'No such message', { messageId });
    this.#d.conversation(m.conversation_id);
    return m;
  }
}
