// What an export reads: the conversations in scope and their messages, page by page from the
// store's keyset queries, with conversation-local message ids (1, 2, …) so a transcript does not
// depend on database ids; and the image bytes a part names.
import type { ConversationSummary } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import type { ExportScope, TranscriptMessage } from '../contract/transcript.ts';
import type { StoredMessage, TranscriptStore } from '../store/TranscriptStore.ts';

export const EXPORT_PAGE_SIZE = 500;

/** Image bytes by content hash; ChatStore's image store is the app's implementation. */
export interface ImageSource {
  read(sha256: string): { bytes: Uint8Array; mime: string };
}

export interface ExportReader {
  transcripts: TranscriptStore;
  /** A live conversation (store.notFound otherwise): ChatStore.getConversation. */
  getConversation(id: number): ConversationSummary;
}

/** The conversations of a scope, in a stable order (a selection as given, all by id). */
export function* conversationsInScope(
  reader: ExportReader,
  scope: ExportScope,
): Generator<ConversationSummary> {
  if (scope.kind === 'conversation') yield reader.getConversation(scope.id);
  else if (scope.kind === 'selection') for (const id of new Set(scope.ids)) yield reader.getConversation(id);
  else {
    let after = 0;
    for (;;) {
      const page = reader.transcripts.conversationsAfter(after, EXPORT_PAGE_SIZE);
      yield* page;
      const last = page.at(-1);
      if (!last || page.length < EXPORT_PAGE_SIZE) return;
      after = last.id;
    }
  }
}

export function countInScope(reader: ExportReader, scope: ExportScope): number {
  if (scope.kind !== 'all') {
    for (const c of conversationsInScope(reader, scope)) void c; // refuse a missing id before writing anything
    return scope.kind === 'conversation' ? 1 : new Set(scope.ids).size;
  }
  let n = 0;
  for (const c of conversationsInScope(reader, scope)) if (c) n++;
  return n;
}

/** Pages of a conversation's messages, parents first: every branch, or the active one. */
export function* messagePages(
  store: TranscriptStore,
  conversation: ConversationSummary,
  branches: 'all' | 'active',
): Generator<StoredMessage[]> {
  // Ids only up front (10 000 of them are 80 KB); the messages themselves come a page at a time.
  const ids = branches === 'active' ? store.activePathIds(conversation) : store.messageIds(conversation.id);
  for (let i = 0; i < ids.length; i += EXPORT_PAGE_SIZE)
    yield store.messagesByIds(ids.slice(i, i + EXPORT_PAGE_SIZE));
}

/** Renumbers a conversation's messages 1, 2, … in the order they are met (parents first). */
export class LocalIds {
  readonly #ids = new Map<number, number>();

  local(message: StoredMessage): TranscriptMessage {
    const id = this.#ids.size + 1;
    this.#ids.set(message.id, id);
    const parentId = message.parentId === null ? null : this.#ids.get(message.parentId);
    // An active-branch export starts at the root, so a parent is always known; guard anyway.
    if (parentId === undefined)
      throw new AppError('internal', 'A message came before its parent', { messageId: message.id });
    const { id: _id, conversationId: _c, parentId: _p, ...rest } = message;
    return {
      id,
      parentId,
      role: rest.role,
      status: rest.status,
      createdAt: rest.createdAt,
      parts: rest.parts,
      ...optional(rest),
    };
  }

  get(dbId: number): number | undefined {
    return this.#ids.get(dbId);
  }
}

function optional(m: Omit<StoredMessage, 'id' | 'conversationId' | 'parentId'>): Partial<TranscriptMessage> {
  return {
    ...(m.sampling !== undefined ? { sampling: m.sampling } : {}),
    ...(m.seed !== undefined ? { seed: m.seed } : {}),
    ...(m.model !== undefined ? { model: m.model } : {}),
    ...(m.engine !== undefined ? { engine: m.engine } : {}),
    ...(m.tokens !== undefined ? { tokens: m.tokens } : {}),
    ...(m.timings !== undefined ? { timings: m.timings } : {}),
    ...(m.error !== undefined ? { error: m.error } : {}),
  };
}

/** Image hashes a message names, in part order. */
export function imageHashes(message: { parts: StoredMessage['parts'] }): string[] {
  return message.parts.flatMap((p) => (p.kind === 'text' ? [] : [p.imageHash]));
}
