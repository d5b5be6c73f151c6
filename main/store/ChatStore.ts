// Chat history: conversations, the message tree with its active branch, streaming answers and
// full-text search, over one better-sqlite3 connection. Every multi-step write is one synchronous
// transaction; every statement was prepared once at open (statements.ts).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { ConversationSummary, FinishStatus, Message, MessagePart, ModelIdentity, Page, PageRequest, SamplingJson, SearchHit } from '../contract/chat.ts';
import { PageRequestSchema, TITLE_MAX_CHARS, UserMessagePartsSchema, messageText } from '../contract/chat.ts';
import { applySamplingPatch, type SamplingPatch } from '../contract/engine.ts';
import type { ErrorData } from '../contract/errors.ts';
import { AppError } from '../contract/errors.ts';
import type { MessageEngine } from '../contract/remoteEngines.ts';
import { decodeConversationCursor, decodePathCursor, encodeConversationCursor, encodePathCursor } from './cursor.ts';
import { MEMORY_DB, openDatabase } from './database.ts';
import { backupDue, backupHistory, openHistoryDatabase, recoverHistory, type RecoveryReport } from './historyFile.ts';
import { narrowedPrefixQuery, toFtsQuery, tokenIsPrefixed, type NarrowedPrefixQuery } from './ftsQuery.ts';
import { ImageStore } from './ImageStore.ts';
import { deriveTitle, partColumns, toConversation, toMessage, toPart } from './rows.ts';
import type { ConversationRow, MessageRow, PartRow, SearchRow, Statements } from './statements.ts';
import { prepareStatements } from './statements.ts';
import type { StreamOutcome, StreamingFlushPolicy, StreamingSink } from './StreamingMessageWriter.ts';
import { DEFAULT_FLUSH_POLICY, StreamingMessageWriter } from './StreamingMessageWriter.ts';
import { TranscriptStore } from './TranscriptStore.ts';
import { ChatEdits } from './ChatEdits.ts';
import { PresetStore } from './PresetStore.ts';

export const DATABASE_FILE_NAME = 'history.sqlite3';
const DEFAULT_SEARCH_LIMIT = 30;
const SEARCH_LIMIT_MAX = 100;
/** Candidates of a narrowed prefix search checked before FTS5's own prefix query takes over. */
const NARROWED_SCAN_MAX = 500;

function clampLimit(limit: number | undefined): number {
  return limit === undefined || !Number.isFinite(limit) ? DEFAULT_SEARCH_LIMIT : Math.min(Math.max(Math.trunc(limit), 1), SEARCH_LIMIT_MAX);
}

/** Inputs arrive from the UI; a bad one is a coded error, not a ZodError. */
function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('api.badRequest', z.prettifyError(result.error));
  return result.data;
}

export interface ChatStoreOptions {
  flushPolicy?: Partial<StreamingFlushPolicy>;
  /** Clock in ms since the epoch; tests pass a controllable one. */
  now?: () => number;
  /** A damaged history file is moved aside and the newest healthy backup (or nothing) takes its place. */
  recover?: boolean;
}

export const IMAGES_DIR_NAME = 'images';
/** A deleted chat can be restored for a week, then it (and what only it referred to) goes. */
export const DELETED_KEPT_MS = 7 * 24 * 60 * 60 * 1000;
/** An image nothing refers to is kept a day: it may sit in a draft, or belong to an API request. */
export const UNREFERENCED_IMAGE_GRACE_MS = 24 * 60 * 60 * 1000;

export interface AssistantMessageSettings {
  sampling?: SamplingJson;
  seed?: number;
  model?: ModelIdentity;
  /** Which engine answers (this computer or a remote one) and its model. */
  engine?: MessageEngine;
}

export class ChatStore {
  readonly #db: Database;
  readonly #st: Statements;
  readonly #now: () => number;
  readonly #flushPolicy: StreamingFlushPolicy;
  readonly #writers = new Set<StreamingMessageWriter>();
  readonly #sink: StreamingSink;
  #transcripts: TranscriptStore | undefined;
  #edits: ChatEdits | undefined;
  #presets: PresetStore | undefined;
  /** How many answers were left mid-stream by a crash and marked interrupted at open. */
  readonly recoveredInterrupted: number;
  /** Attached images and their codes cache, on the same connection. */
  readonly images: ImageStore;
  /** A temporary images folder of an in-memory store, removed at dispose. */
  readonly #tempImagesDir: string | undefined;

  /** Open the history in `dataDir` (created if missing), or an in-memory one for ':memory:'. */
  static open(dataDir: string, options: ChatStoreOptions = {}): ChatStore {
    if (dataDir === MEMORY_DB) {
      const tempImagesDir = mkdtempSync(join(tmpdir(), 'chameleon-images-'));
      return new ChatStore(openDatabase(MEMORY_DB), tempImagesDir, tempImagesDir, null, options);
    }
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, DATABASE_FILE_NAME);
    let db: Database;
    let recovery: RecoveryReport | undefined;
    try {
      db = openHistoryDatabase(path, dataDir);
    } catch (err) {
      if (!(options.recover && err instanceof AppError && err.code === 'store.corrupt')) throw err;
      recovery = recoverHistory(path, dataDir, (options.now ?? Date.now)());
      db = openHistoryDatabase(path, dataDir);
    }
    const store = new ChatStore(db, join(dataDir, IMAGES_DIR_NAME), undefined, dataDir, options);
    store.recovery = recovery;
    return store;
  }

  /** Set when open() recovered a damaged history: where the damaged file went, what was restored. */
  recovery: RecoveryReport | undefined;
  readonly #dataDir: string | null;

  private constructor(db: Database, imagesDir: string, tempImagesDir: string | undefined, dataDir: string | null, options: ChatStoreOptions) {
    this.#db = db;
    this.#dataDir = dataDir;
    this.#tempImagesDir = tempImagesDir;
    this.images = new ImageStore(db, imagesDir, options.now);
    this.#registerPrefixCheck(db);
    this.#st = prepareStatements(db);
    this.#now = options.now ?? Date.now;
    this.#flushPolicy = { ...DEFAULT_FLUSH_POLICY, ...options.flushPolicy };
    // Whatever was streaming when the last process died stays, with its text, as interrupted.
    this.recoveredInterrupted = this.#st.interruptStreaming.run().changes;
    this.#sink = {
      writeText: (partId, text) => {
        this.#open();
        this.#st.updatePartText.run(text, partId);
      },
      addImage: (messageId, part) => {
        this.#open();
        return this.#db.transaction(() => {
          this.images.get(part.imageHash);
          const position = this.#st.nextPartPosition.pluck().get(messageId) as number;
          this.#st.insertPart.run(messageId, position, ...partColumns(part));
          return Number(this.#st.insertPart.run(messageId, position + 1, 'text', '', null, null, null, null).lastInsertRowid);
        })();
      },
      end: (messageId, partId, text, status, outcome, error) => this.#endMessage(messageId, partId, text, status, outcome, error),
      released: (writer) => this.#writers.delete(writer),
    };
  }

  // ── conversations ──────────────────────────────────────────────────────────────────────────

  createConversation(): ConversationSummary {
    this.#open();
    const now = this.#now();
    const id = Number(this.#st.insertConversation.run('', now, now).lastInsertRowid);
    return this.getConversation(id);
  }

  /** A live (not deleted) conversation. */
  getConversation(id: number): ConversationSummary {
    return toConversation(this.#liveConversation(id));
  }

  /** Live conversations, most recently active first: the unarchived ones, or with `archived` the archived ones. */
  listConversations(request: PageRequest & { archived?: boolean } = {}): Page<ConversationSummary> {
    this.#open();
    const { archived = false, ...page } = request;
    const { cursor, limit } = parseInput(PageRequestSchema, page);
    const first = archived ? this.#st.listArchivedFirst : this.#st.listConversationsFirst;
    const after = archived ? this.#st.listArchivedAfter : this.#st.listConversationsAfter;
    let rows: ConversationRow[];
    if (cursor === undefined) rows = first.all(limit + 1) as ConversationRow[];
    else {
      const from = decodeConversationCursor(cursor);
      rows = after.all(from.updatedAt, from.id, limit + 1) as ConversationRow[];
    }
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return rows.length > limit && last ? { items: items.map(toConversation), nextCursor: encodeConversationCursor(last.updated_at, last.id) } : { items: items.map(toConversation) };
  }

  /** Set a custom title; an empty title goes back to the one derived from the first message. */
  renameConversation(id: number, title: string): ConversationSummary {
    const row = this.#liveConversation(id);
    const clean = [...title.replace(/\s+/g, ' ').trim()].slice(0, TITLE_MAX_CHARS).join('');
    if (clean !== '') this.#st.setTitle.run(clean, 1, id);
    else this.#st.setTitle.run(this.#derivedTitle(row.active_leaf_id), 0, id);
    return this.getConversation(id);
  }

  /** Change the chat's own sampling (null: back to the app defaults); read-modify-write in one transaction. */
  patchSampling(id: number, patch: SamplingPatch | null): ConversationSummary {
    this.#db.transaction(() => {
      this.#liveConversation(id);
      const next = patch === null ? {} : applySamplingPatch(this.getConversation(id).sampling, patch);
      this.#st.setSampling.run(Object.keys(next).length > 0 ? JSON.stringify(next) : null, id);
    }).immediate();
    return this.getConversation(id);
  }

  /** Hide a conversation; restoreConversation undoes it until it is purged. */
  deleteConversation(id: number): void {
    this.#liveConversation(id);
    this.#st.softDelete.run(this.#now(), id);
  }

  restoreConversation(id: number): ConversationSummary {
    this.#open();
    if (this.#st.restore.run(id).changes === 0) throw new AppError('store.notFound', 'No deleted conversation to restore', { conversationId: id });
    return this.getConversation(id);
  }

  /** Remove a conversation and all its messages for good (deleted or not). */
  purgeConversation(id: number): void {
    this.#open();
    if (this.#st.purge.run(id).changes === 0) throw new AppError('store.notFound', 'No such conversation', { conversationId: id });
  }

  /** Purge every conversation deleted at or before `before` (for example on quit); returns how many. */
  purgeDeleted(before: number = this.#now()): number {
    this.#open();
    return this.#db.transaction(() => {
      const ids = this.#st.deletedBefore.all(before) as { id: number }[];
      for (const { id } of ids) this.#st.purge.run(id);
      return ids.length;
    })();
  }

  // ── messages ───────────────────────────────────────────────────────────────────────────────

  /** A user message under `parentId` (null: a first message). Editing is a new sibling of the edited message. */
  addUserMessage(conversationId: number, parentId: number | null, parts: MessagePart[]): Message {
    const valid = parseInput(UserMessagePartsSchema, parts);
    const id = this.#db.transaction(() => {
      this.#checkParent(conversationId, parentId);
      // An image part must name a stored image (images.attach stored it); checked inside the
      // transaction so a refused message leaves nothing behind.
      for (const part of valid) if (part.kind === 'image') this.images.get(part.imageHash);
      const now = this.#now();
      const messageId = Number(this.#st.insertMessage.run(conversationId, parentId, 'user', 'complete', now, null, null, null, null, null).lastInsertRowid);
      valid.forEach((part, position) => this.#st.insertPart.run(messageId, position, ...partColumns(part)));
      if (parentId === null) this.#st.setAutoTitle.run(deriveTitle(messageText(valid)), conversationId);
      this.#st.setActiveLeaf.run(messageId, conversationId);
      this.#st.touchConversation.run(now, conversationId);
      return messageId;
    })();
    return this.getMessage(id);
  }

  /**
   * Start an assistant answer under `parentId` (regenerating = another answer under the same parent).
   * The row exists at once, status 'streaming', and becomes the active leaf.
   */
  beginAssistantMessage(conversationId: number, parentId: number, settings: AssistantMessageSettings = {}): StreamingMessageWriter {
    const { messageId, partId } = this.#db.transaction(() => {
      this.#checkParent(conversationId, parentId);
      const now = this.#now();
      const { sampling, seed, model } = settings;
      const messageId = Number(
        this.#st.insertMessage.run(conversationId, parentId, 'assistant', 'streaming', now, sampling ? JSON.stringify(sampling) : null, seed ?? null, model?.fileName ?? null, model?.sizeBytes ?? null, model?.sha256 ?? null)
          .lastInsertRowid,
      );
      if (settings.engine) this.#st.setEngine.run(JSON.stringify(settings.engine), messageId);
      const partId = Number(this.#st.insertPart.run(messageId, 0, 'text', '', null, null, null, null).lastInsertRowid);
      this.#st.setActiveLeaf.run(messageId, conversationId);
      this.#st.touchConversation.run(now, conversationId);
      return { messageId, partId };
    })();
    const writer = new StreamingMessageWriter(messageId, partId, this.#sink, this.#flushPolicy);
    this.#writers.add(writer);
    return writer;
  }

  /**
   * Continue an ended answer (cut at max tokens, stopped): the same row streams again, appending to
   * its last text part, and becomes the active leaf. Only an answer nothing follows yet.
   */
  continueAssistantMessage(messageId: number): StreamingMessageWriter {
    const { partId, text } = this.#db.transaction(() => {
      const m = this.getMessage(messageId);
      if (m.role !== 'assistant') throw new AppError('api.badRequest', 'Only an answer can be continued.', { messageId });
      if (m.status === 'streaming') throw new AppError('store.conflict', 'This answer is still being written.', { messageId });
      if (this.#st.hasChildren.get(messageId) !== undefined) throw new AppError('store.conflict', 'Only the last answer of a branch can be continued.', { messageId });
      const parts = this.#st.getParts.all(messageId) as PartRow[];
      const last = parts.at(-1);
      const partId = last?.kind === 'text' ? last.id : Number(this.#st.insertPart.run(messageId, parts.length, 'text', '', null, null, null, null).lastInsertRowid);
      this.#st.reopenMessage.run(messageId);
      this.#st.setActiveLeaf.run(messageId, m.conversationId);
      this.#st.touchConversation.run(this.#now(), m.conversationId);
      return { partId, text: last?.kind === 'text' ? (last.text ?? '') : '' };
    })();
    const writer = new StreamingMessageWriter(messageId, partId, this.#sink, this.#flushPolicy, text);
    this.#writers.add(writer);
    return writer;
  }

  /** Edit, delete, fork, instructions, pin and archive, on this connection (ChatEdits.ts). */
  edits(): ChatEdits {
    this.#edits ??= new ChatEdits(this.#db, {
      now: this.#now,
      conversation: (id) => this.getConversation(id),
      retitle: (id) => this.#st.setAutoTitle.run(this.#derivedTitle(this.#liveConversation(id).active_leaf_id), id),
      transcripts: () => this.transcripts(),
      checkOpen: () => this.#open(),
    });
    return this.#edits;
  }

  /** Saved presets (PresetStore.ts), on this connection. */
  presets(): PresetStore {
    this.#presets ??= new PresetStore(this.#db, { now: this.#now, conversation: (id) => this.getConversation(id), checkOpen: () => this.#open() });
    return this.#presets;
  }

  getMessage(id: number): Message {
    this.#open();
    const row = this.#st.getMessage.get(id) as MessageRow | undefined;
    if (!row) throw new AppError('store.notFound', 'No such message', { messageId: id });
    return this.#withParts(row);
  }

  /** The message and its siblings (same parent), oldest first. */
  siblings(messageId: number): Message[] {
    const m = this.getMessage(messageId);
    const rows = (m.parentId === null ? this.#st.roots.all(m.conversationId) : this.#st.children.all(m.parentId)) as MessageRow[];
    return rows.map((r) => this.#withParts(r));
  }

  /**
   * The active branch, newest page first: up to `limit` messages ending at the active leaf (or just
   * before the cursor), in chronological order; nextCursor pages towards the first message.
   */
  getActivePath(conversationId: number, request: PageRequest = {}): Page<Message> {
    const conversation = this.#liveConversation(conversationId);
    const { cursor, limit } = parseInput(PageRequestSchema, request);
    let end = conversation.active_leaf_id;
    if (cursor !== undefined) {
      const from = this.#st.getMessage.get(decodePathCursor(cursor)) as MessageRow | undefined;
      if (!from || from.conversation_id !== conversationId) throw new AppError('api.badRequest', 'The cursor belongs to another conversation', { cursor });
      end = from.parent_id;
    }
    if (end === null) return { items: [] };
    const rows = this.#st.pathUp.all(end, limit) as MessageRow[];
    const first = rows[0];
    const items = rows.map((r) => this.#withParts(r));
    return first && first.parent_id !== null ? { items, nextCursor: encodePathCursor(first.id) } : { items };
  }

  /** Show the branch ending at `messageId`. */
  setActiveLeaf(conversationId: number, messageId: number): ConversationSummary {
    this.#checkParent(conversationId, messageId);
    this.#db.transaction(() => {
      this.#st.setActiveLeaf.run(messageId, conversationId);
      // The derived title follows the branch on screen (its first question), not the newest edit.
      this.#st.setAutoTitle.run(this.#derivedTitle(messageId), conversationId);
    })();
    return this.getConversation(conversationId);
  }

  /** ‹ n / N ›: show the sibling at `index` of `messageId`, following it to the newest leaf under it. */
  switchToSibling(messageId: number, index: number): ConversationSummary {
    const siblings = this.siblings(messageId);
    const target = siblings[index];
    if (!target) throw new AppError('store.notFound', 'No sibling at that position', { messageId, index, siblingCount: siblings.length });
    const leaf = (this.#st.latestLeafUnder.get(target.id) as { id: number }).id;
    return this.setActiveLeaf(target.conversationId, leaf);
  }

  /** Whole-conversation reads and one-transaction imports for main/export, on this connection. */
  transcripts(): TranscriptStore {
    this.#transcripts ??= new TranscriptStore(this.#db, () => this.#open());
    return this.#transcripts;
  }

  // ── search ─────────────────────────────────────────────────────────────────────────────────

  /** Full-text search over every live conversation, newest match first; any input is safe (see ftsQuery.ts). */
  search(query: string, limit?: number): SearchHit[] {
    this.#open();
    // Over-long input is cut, not refused: the box may hold a pasted paragraph.
    const match = toFtsQuery(query);
    if (match === undefined) return [];
    const wanted = clampLimit(limit);
    const narrowed = narrowedPrefixQuery(query);
    // A rare completion of a common prefix gives up (undefined): FTS5's own prefix query is cheap exactly then.
    const rows = (narrowed && this.#narrowedRows(narrowed, wanted)) ?? this.#newestRows(match, wanted);
    return rows.map((r) => ({ conversationId: r.conversation_id, messageId: r.message_id, conversationTitle: r.title, role: r.role as SearchHit['role'], snippet: r.snippet, createdAt: r.created_at }));
  }

  // One hit per message (a message of several matching parts matched once per part, and the
  // sidebar's keyed list threw each_key_duplicate): its newest matching part stands for it. Leaving
  // a loop early stops its statement, which is what keeps search cheap.

  #newestRows(match: string, wanted: number): SearchRow[] {
    const rows: SearchRow[] = [];
    const seen = new Set<number>();
    for (const r of this.#st.searchNewest.iterate({ match }) as IterableIterator<SearchRow>) {
      if (seen.has(r.message_id)) continue;
      seen.add(r.message_id);
      if (rows.push(r) === wanted) break;
    }
    return rows;
  }

  /** The narrowed query's hits; undefined once NARROWED_SCAN_MAX candidates gave no full page. */
  #narrowedRows(narrowed: NarrowedPrefixQuery, wanted: number): SearchRow[] | undefined {
    const rows: SearchRow[] = [];
    const seen = new Set<number>();
    this.#prefixBudget = NARROWED_SCAN_MAX;
    for (const r of this.#st.searchNarrowed.iterate({ match: narrowed.match, prefix: narrowed.prefix }) as IterableIterator<SearchRow>) {
      if (this.#prefixBudget < 0) return undefined;
      if (seen.has(r.message_id)) continue;
      seen.add(r.message_id);
      if (rows.push(r) === wanted) break;
    }
    return rows;
  }

  /** Candidates search_prefix_check may still look at in the running narrowed search; below 0: spent. */
  #prefixBudget = 0;

  /** SQL.searchNarrowed's filter: whether a word of `text` has `prefix`; true once the budget is spent, to end the scan. */
  #registerPrefixCheck(db: Database): void {
    db.function('search_prefix_check', { deterministic: false }, (text: unknown, prefix: unknown) => {
      if (--this.#prefixBudget < 0) return 1;
      return typeof text === 'string' && typeof prefix === 'string' && tokenIsPrefixed(text, prefix) ? 1 : 0;
    });
  }

  /** Interrupt any answer still streaming (its text kept) and close the connection. Idempotent. */
  /**
   * Housekeeping: chats deleted more than DELETED_KEPT_MS ago are purged (until then the sidebar's
   * undo can restore them), then images that no message refers to any more.
   */
  collectGarbage(): { conversations: number; images: number; bytes: number; strayFiles: number } {
    this.#open();
    const now = this.#now();
    const conversations = this.purgeDeleted(now - DELETED_KEPT_MS);
    return { conversations, ...this.images.collectGarbage(now - UNREFERENCED_IMAGE_GRACE_MS) };
  }

  /** A consistent online copy into <dataDir>/backups (the newest few are kept); null for an in-memory store. */
  async backup(): Promise<string | null> {
    this.#open();
    return this.#dataDir === null ? null : backupHistory(this.#db, this.#dataDir, this.#now());
  }

  /** Whether a daily backup is due (none yet, or the newest is a day old). */
  backupDue(): boolean {
    return this.#dataDir !== null && backupDue(this.#dataDir, this.#now());
  }

  dispose(): void {
    if (!this.#db.open) return;
    for (const writer of [...this.#writers]) writer.interrupt();
    // Lets SQLite refresh planner statistics it found stale during this session (cheap; SQLite's advice).
    this.#db.pragma('optimize');
    this.#db.close();
    if (this.#tempImagesDir) rmSync(this.#tempImagesDir, { recursive: true, force: true });
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  #open(): void {
    if (!this.#db.open) throw new AppError('store.closed', 'The history database is closed');
  }

  #liveConversation(id: number): ConversationRow {
    this.#open();
    const row = this.#st.getConversation.get(id) as ConversationRow | undefined;
    if (!row || row.deleted_at !== null) throw new AppError('store.notFound', 'No such conversation', { conversationId: id });
    return row;
  }

  #checkParent(conversationId: number, parentId: number | null): void {
    this.#liveConversation(conversationId);
    if (parentId === null) return;
    const parent = this.#st.getMessage.get(parentId) as MessageRow | undefined;
    if (!parent) throw new AppError('store.notFound', 'No such message', { messageId: parentId });
    if (parent.conversation_id !== conversationId) throw new AppError('store.conflict', 'The message belongs to another conversation', { messageId: parentId, conversationId });
  }

  #withParts(row: MessageRow): Message {
    return toMessage(row, (this.#st.getParts.all(row.id) as PartRow[]).map(toPart));
  }

  #derivedTitle(activeLeafId: number | null): string {
    if (activeLeafId === null) return '';
    const root = this.#st.rootOf.get(activeLeafId) as { id: number } | undefined;
    return root ? deriveTitle(messageText((this.#st.getParts.all(root.id) as PartRow[]).map(toPart))) : '';
  }

  #endMessage(messageId: number, partId: number, text: string, status: FinishStatus | 'error' | 'interrupted', outcome: StreamOutcome, error?: ErrorData): Message | undefined {
    this.#open();
    const exists = this.#db.transaction(() => {
      const row = this.#st.getMessage.get(messageId) as MessageRow | undefined;
      if (!row) return false; // purged while streaming
      this.#st.updatePartText.run(text, partId);
      const { tokens, timings, seed } = outcome;
      this.#st.finishMessage.run(status, seed ?? null, tokens?.prompt ?? null, tokens?.completion ?? null, timings?.promptMs ?? null, timings?.firstTokenMs ?? null, timings?.totalMs ?? null, timings?.tokensPerSecond ?? null, error ? JSON.stringify(error) : null, messageId);
      this.#st.touchConversation.run(this.#now(), row.conversation_id);
      return true;
    })();
    return exists ? this.getMessage(messageId) : undefined;
  }
}
