// The conversation on screen: the loaded window of its active branch (keyset pages, oldest first)
// and the branch operations (regenerate, edit-and-resend, ‹ n/m ›). Running answers belong to
// their own chat (Generation, one per chat): another chat stays usable while one answers.
import { SvelteMap } from 'svelte/reactivity';
import type { GenerationPacket } from '../../../main/contract/api.ts';
import type { GenerationMode, SamplingOverrides } from '../../../main/contract/engine.ts';
import type { ApiClient, ApiStream } from '../../../main/contract/apiClient.ts';
import { PAGE_LIMIT_MAX, messageText, type ImagePart, type Message, type MessagePart, type TextPart } from '../../../main/contract/chat.ts';
import { toErrorData, type ErrorData } from '../../../main/contract/errors.ts';
import { DeltaCoalescer, type FrameScheduler } from '../lib/deltaCoalescer.ts';
import { Generation } from './generation.svelte.ts';
import type { Notices } from './notices.svelte.ts';

export const PAGE_SIZE = 100;

export interface ChatHooks {
  /** The conversation changed in a way the sidebar shows (new message, title). */
  onActivity(conversationId: number): void;
  /** The chat's sampling overrides; main fills in the app defaults. */
  sampling(conversationId: number): SamplingOverrides | undefined;
  /** Whether main can be reached now (a send while it cannot would be lost). */
  connected(): boolean;
}

/** How a send ended before its answer began: `started`, or refused with the reason (nothing stored). */
export type SendOutcome = { started: true } | { started: false; error: ErrorData };

export class ChatStore {
  #conversationId = $state<number | undefined>(undefined);
  #mode = $state<GenerationMode>('text');
  #messages = $state.raw<Message[]>([]);
  #hasOlder = $state(false);
  #loadingOlder = $state(false);
  #loading = $state(false);
  #editingId = $state<number | undefined>(undefined);
  /** A message to scroll to and highlight (search results). */
  #focusId = $state<number | undefined>(undefined);
  #lastRate = $state<number | undefined>(undefined);
  /** Running answers by chat. */
  readonly #runs = new SvelteMap<number, Generation>();

  /** The running answer of the chat on screen. */
  readonly run = $derived(this.#conversationId === undefined ? undefined : this.#runs.get(this.#conversationId));
  /** True from send until the stream ends, for the chat on screen only. */
  readonly busy = $derived(this.run !== undefined);
  /** Another chat's answer is running (the engine answers one at a time: a send here waits its turn). */
  readonly busyElsewhere = $derived([...this.#runs.keys()].some((id) => id !== this.#conversationId));

  /** Prompt + completion tokens of the newest answer (or the prompt being read): what the next turn starts from. */
  readonly contextUsed = $derived.by(() => {
    if (this.run?.promptProgress) return this.run.promptProgress.total;
    for (let i = this.#messages.length - 1; i >= 0; i--) {
      const t = this.#messages[i]!.tokens;
      if (t) return t.prompt + t.completion;
    }
    return 0;
  });

  readonly #client: ApiClient;
  readonly #notices: Notices;
  readonly #hooks: ChatHooks;
  readonly #schedule: FrameScheduler;
  #olderCursor: string | undefined;
  #older: Promise<void> | undefined;
  #openSeq = 0;

  constructor(client: ApiClient, notices: Notices, hooks: ChatHooks, schedule: FrameScheduler) {
    this.#client = client;
    this.#notices = notices;
    this.#hooks = hooks;
    this.#schedule = schedule;
  }

  get conversationId(): number | undefined {
    return this.#conversationId;
  }
  get messages(): Message[] {
    return this.#messages;
  }
  get hasOlder(): boolean {
    return this.#hasOlder;
  }
  get loadingOlder(): boolean {
    return this.#loadingOlder;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get editingId(): number | undefined {
    return this.#editingId;
  }
  get focusId(): number | undefined {
    return this.#focusId;
  }
  /** Tokens per second of the last answer that finished (any chat). */
  get lastTokensPerSecond(): number | undefined {
    return this.#lastRate;
  }
  get streamingId(): number | undefined {
    return this.run?.assistantId;
  }
  isRunning(conversationId: number): boolean {
    return this.#runs.has(conversationId);
  }

  startEditing(messageId: number): void {
    this.#editingId = messageId;
  }
  stopEditing(): void {
    this.#editingId = undefined;
  }
  /** The highlight of a search hit fades after a while. */
  clearFocus(messageId: number): void {
    if (this.#focusId === messageId) this.#focusId = undefined;
  }

  /** Show a conversation's active branch; with focusMessageId, switch to that message's branch and load back to it. */
  async open(conversationId: number | undefined, focusMessageId?: number): Promise<void> {
    const seq = ++this.#openSeq;
    this.#conversationId = conversationId;
    this.#editingId = undefined;
    this.#focusId = undefined;
    if (conversationId === undefined) {
      this.#messages = [];
      this.#hasOlder = false;
      return;
    }
    this.#loading = true;
    try {
      if (focusMessageId !== undefined) await this.#showBranchOf(focusMessageId);
      const page = await this.#client.call('messages.page', { conversationId, limit: PAGE_SIZE });
      if (seq !== this.#openSeq) return;
      this.#messages = page.items;
      this.#olderCursor = page.nextCursor;
      this.#hasOlder = page.nextCursor !== undefined;
      if (focusMessageId !== undefined) {
        while (seq === this.#openSeq && this.#hasOlder && !this.#messages.some((m) => m.id === focusMessageId)) await this.loadOlder(PAGE_LIMIT_MAX);
        this.#focusId = focusMessageId;
      }
    } finally {
      if (seq === this.#openSeq) this.#loading = false;
    }
  }

  async reload(): Promise<void> {
    await this.open(this.#conversationId);
  }

  /** Prepend the page before the loaded window; concurrent callers share the request in flight. */
  loadOlder(limit: number = PAGE_SIZE): Promise<void> {
    this.#older ??= this.#loadOlder(limit).finally(() => (this.#older = undefined));
    return this.#older;
  }

  async #loadOlder(limit: number): Promise<void> {
    const id = this.#conversationId;
    if (id === undefined || !this.#olderCursor) return;
    this.#loadingOlder = true;
    try {
      const page = await this.#client.call('messages.page', { conversationId: id, cursor: this.#olderCursor, limit });
      if (id !== this.#conversationId) return;
      this.#messages = [...page.items, ...this.#messages];
      this.#olderCursor = page.nextCursor;
      this.#hasOlder = page.nextCursor !== undefined;
    } finally {
      this.#loadingOlder = false;
    }
  }

  send(text: string): Promise<SendOutcome> {
    if (text.trim() === '') return Promise.resolve(refused('api.badRequest', 'The message is empty.'));
    return this.sendParts([{ kind: 'text', text }]);
  }

  /**
   * A user message made of text and image parts, in the order the user placed them. Resolves as
   * soon as the answer has started (or was refused, with nothing stored); the answer streams on.
   */
  sendParts(parts: Array<TextPart | ImagePart>): Promise<SendOutcome> {
    const id = this.#conversationId;
    if (id === undefined || parts.length === 0) return Promise.resolve(refused('api.badRequest', 'Nothing to send.'));
    const last = this.#messages.at(-1);
    const mode = this.#mode;
    return this.#begin(id, this.#messages.length, () =>
      this.#client.stream('messages.send', { conversationId: id, parentId: last?.id ?? null, parts, ...this.#sampling(id), ...(mode === 'text' ? {} : { mode }) }),
    );
  }

  /** What the next answer may contain (text only, an image, text with images); the composer sets it. */
  get mode(): GenerationMode {
    return this.#mode;
  }

  set mode(mode: GenerationMode) {
    this.#mode = mode;
  }

  /** A new answer to the same question, as a sibling of `assistant` (any answer, not only the last). */
  regenerate(assistant: Message): Promise<SendOutcome> {
    const id = this.#conversationId;
    const index = this.#messages.findIndex((m) => m.id === assistant.id);
    if (id === undefined || index < 0) return Promise.resolve(refused('api.badRequest', 'That answer is not on screen.'));
    return this.#begin(id, index, () => this.#client.stream('messages.regenerate', { messageId: assistant.id, ...this.#sampling(id) })).then((o) => this.#bannerIfRefused(o));
  }

  /** Send an edited question as a sibling of `user`; the old branch stays reachable with ‹ ›. Images are kept. */
  editAndResend(user: Message, text: string): Promise<SendOutcome> {
    const id = this.#conversationId;
    const index = this.#messages.findIndex((m) => m.id === user.id);
    if (id === undefined || index < 0) return Promise.resolve(refused('api.badRequest', 'That message is not on screen.'));
    const parts = editedParts(user.parts, text);
    if (parts.length === 0) return Promise.resolve(refused('api.badRequest', 'The message is empty.'));
    this.#editingId = undefined;
    return this.#begin(id, index, () => this.#client.stream('messages.edit', { messageId: user.id, parts, ...this.#sampling(id) })).then((o) => this.#bannerIfRefused(o));
  }

  /** More of an answer cut by max tokens: the same message grows (messages.continue). */
  continueAnswer(assistant: Message): Promise<SendOutcome> {
    const id = this.#conversationId;
    const index = this.#messages.findIndex((m) => m.id === assistant.id);
    if (id === undefined || index < 0) return Promise.resolve(refused('api.badRequest', 'That answer is not on screen.'));
    return this.#begin(id, index, () => this.#client.stream('messages.continue', { messageId: assistant.id, ...this.#sampling(id) })).then((o) => this.#bannerIfRefused(o));
  }

  /** Correct a message's text in place (an answer, usually); its images stay. */
  async editInPlace(message: Message, text: string): Promise<void> {
    const id = this.#conversationId;
    if (id === undefined || text.trim() === '') return;
    this.#editingId = undefined;
    await this.#guard(() => this.#client.call('messages.editText', { messageId: message.id, text }));
    this.#hooks.onActivity(id);
    await this.open(id);
  }

  /** Delete one message; what followed it stays, under its parent. */
  async deleteMessage(message: Message): Promise<void> {
    const id = this.#conversationId;
    if (id === undefined) return;
    await this.#guard(() => this.#client.call('messages.delete', { messageId: message.id }));
    this.#hooks.onActivity(id);
    await this.open(id);
  }

  /** A new chat with the branch down to `message`; resolves with its id (undefined when refused). */
  async fork(message: Message): Promise<number | undefined> {
    const chat = await this.#guard(() => this.#client.call('chats.fork', { messageId: message.id }));
    return chat?.id;
  }

  async switchSibling(message: Message, step: -1 | 1): Promise<void> {
    const id = this.#conversationId;
    const target = message.siblingIndex + step;
    if (id === undefined || this.busy || target < 0 || target >= message.siblingCount) return;
    await this.#client.call('messages.switchBranch', { messageId: message.id, index: target });
    // The title follows the branch on screen: the list (and header) must learn it.
    this.#hooks.onActivity(id);
    await this.open(id);
  }

  /** Cancel the running answer of the chat on screen: main keeps the text so far and marks it stopped. */
  stop(): void {
    this.run?.cancel();
  }

  textOf(message: Message): string {
    const run = this.run;
    return run && message.id === run.assistantId ? run.text : messageText(message.parts);
  }

  /** A refused command goes to the banner; resolves undefined then. */
  async #guard<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      this.#notices.report(toErrorData(err));
      return undefined;
    }
  }

  /** Regenerate and edit have no draft to keep: their refusal goes to the banner. */
  #bannerIfRefused(outcome: SendOutcome): SendOutcome {
    if (!outcome.started) this.#notices.report(outcome.error);
    return outcome;
  }

  #sampling(conversationId: number): { sampling?: SamplingOverrides } {
    const s = this.#hooks.sampling(conversationId);
    return s ? { sampling: s } : {};
  }

  /** Make the branch through a message the active one, down to that branch's newest message. */
  async #showBranchOf(messageId: number): Promise<void> {
    const siblings = await this.#client.call('messages.siblings', { messageId });
    const index = siblings.findIndex((m) => m.id === messageId);
    if (index >= 0) await this.#client.call('messages.switchBranch', { messageId, index });
  }

  #begin(conversationId: number, keep: number, open: () => ApiStream<GenerationPacket>): Promise<SendOutcome> {
    if (this.#runs.has(conversationId)) return Promise.resolve(refused('engine.busy', 'This chat is still answering; stop it first.'));
    // Sent into a closed socket the message would be lost: refuse, so the draft is kept.
    if (!this.#hooks.connected()) return Promise.resolve(refused('api.badRequest', 'Not connected to Chameleon; the message was not sent.'));
    return new Promise<SendOutcome>((resolve) => void this.#run(conversationId, keep, open(), resolve));
  }

  /** Drive one generation; messages from `keep` on are replaced by what it creates (while its chat is on screen). */
  async #run(conversationId: number, keep: number, stream: ApiStream<GenerationPacket>, settle: (o: SendOutcome) => void): Promise<void> {
    const run = new Generation(conversationId, stream);
    this.#runs.set(conversationId, run);
    this.#notices.clear();
    const onScreen = (): boolean => this.#conversationId === conversationId;
    const coalescer = new DeltaCoalescer(this.#schedule, (t) => run.append(t, performance.now()));
    let started = false;
    let failure: ErrorData | undefined;
    const replace = (m: Message): void => {
      if (onScreen()) this.#messages = this.#messages.map((x) => (x.id === m.id ? m : x));
    };
    try {
      for await (const ev of stream) {
        switch (ev.type) {
          case 'started':
            run.started(ev.assistant);
            if (onScreen()) this.#messages = [...this.#messages.slice(0, keep), ...(ev.user ? [ev.user] : []), ev.assistant];
            started = true;
            settle({ started: true });
            this.#hooks.onActivity(conversationId);
            break;
          case 'imageProgress':
          case 'promptProgress':
            run.progress(ev);
            break;
          case 'fragment':
            coalescer.push(ev.text);
            break;
          case 'imageStarted':
            coalescer.flush();
            run.imageStarted(ev.index);
            break;
          case 'imagePreview':
            run.previewed(ev);
            break;
          case 'image':
            run.imageDone(ev.part);
            break;
          case 'success':
            coalescer.close();
            run.finished(ev.stats);
            this.#lastRate = ev.stats.timings.tokensPerSecond;
            replace(ev.message);
            break;
          case 'error':
            coalescer.close();
            run.finished(undefined);
            if (ev.message) replace(ev.message);
            failure = ev.error;
            break;
        }
      }
    } catch (err) {
      failure = toErrorData(err);
    } finally {
      coalescer.close();
      // The link dropped before main sent the final row: keep the text we saw, marked interrupted
      // (main has it too; the next reload shows main's copy).
      const open = onScreen() ? this.#messages.find((m) => m.id === run.assistantId && m.status === 'streaming') : undefined;
      if (open) replace({ ...open, status: 'interrupted', parts: [{ kind: 'text', text: run.text }] });
      this.#runs.delete(conversationId);
      this.#hooks.onActivity(conversationId);
    }
    // A refusal before any row was written (no model, bad image, too long) belongs to the composer,
    // which keeps the draft and says why; a failure mid-answer goes to the banner.
    if (!started) {
      settle(refused(failure?.code ?? 'internal', failure?.message ?? 'The answer ended before it began.', failure?.details));
      if (onScreen()) await this.reload();
    } else if (failure) this.#notices.report(failure);
  }
}

function refused(code: ErrorData['code'], message: string, details?: Record<string, unknown>): SendOutcome {
  return { started: false, error: { code, message, ...(details ? { details } : {}) } };
}

/**
 * The parts of an edited user message: the new text in place of the old text parts (at the first
 * one's position), its images kept where they were.
 */
export function editedParts(parts: readonly MessagePart[], text: string): Array<TextPart | ImagePart> {
  const out: Array<TextPart | ImagePart> = [];
  let placed = false;
  const trimmed = text.trim();
  for (const p of parts) {
    if (p.kind === 'image') out.push(p);
    else if (p.kind === 'text' && !placed) {
      placed = true;
      if (trimmed !== '') out.push({ kind: 'text', text: trimmed });
    }
  }
  if (!placed && trimmed !== '') out.push({ kind: 'text', text: trimmed });
  return out;
}
