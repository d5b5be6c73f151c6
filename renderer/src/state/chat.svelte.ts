// The conversation on screen: the loaded window of its active branch (keyset pages, oldest first),
// the answer being streamed, and the branch operations (regenerate, edit-and-resend, ‹ n/m ›).
import type { GenerationPacket } from '../../../main/contract/api.ts';
import type { SamplingOverrides } from '../../../main/contract/engine.ts';
import type { ApiClient, ApiStream } from '../../../main/contract/apiClient.ts';
import { PAGE_LIMIT_MAX, messageText, type ImagePart, type Message, type TextPart } from '../../../main/contract/chat.ts';
import { toErrorData } from '../../../main/contract/errors.ts';
import { DeltaCoalescer, type FrameScheduler } from '../lib/deltaCoalescer.ts';
import type { EngineStore } from './engine.svelte.ts';

export const PAGE_SIZE = 100;

export interface ChatHooks {
  /** The conversation changed in a way the sidebar shows (new message, title). */
  onActivity(conversationId: number): void;
  /** The chat's sampling overrides; main fills in the app defaults. */
  sampling(): SamplingOverrides | undefined;
}

export class ChatStore {
  conversationId = $state<number | undefined>(undefined);
  messages = $state.raw<Message[]>([]);
  hasOlder = $state(false);
  loadingOlder = $state(false);
  loading = $state(false);
  /** Id of the assistant message being streamed, and its text so far (updated once per frame). */
  streamingId = $state<number | undefined>(undefined);
  streamingText = $state('');
  promptProgress = $state<{ evaluated: number; total: number } | undefined>(undefined);
  /** An image of the history being tokenized before the prompt (a codes-cache miss). */
  imageProgress = $state<{ imageHash: string; stage: string; done: number; total: number } | undefined>(undefined);
  /** True from send until the stream ends, including before the first event. */
  busy = $state(false);
  editingId = $state<number | undefined>(undefined);
  /** A message to scroll to and highlight (search results). */
  focusId = $state<number | undefined>(undefined);

  /** Prompt + completion tokens of the newest answer: what the next turn starts from. */
  readonly contextUsed = $derived.by(() => {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const t = this.messages[i]!.tokens;
      if (t) return t.prompt + t.completion;
    }
    return 0;
  });

  readonly #client: ApiClient;
  readonly #engine: EngineStore;
  readonly #hooks: ChatHooks;
  readonly #schedule: FrameScheduler;
  #olderCursor: string | undefined;
  #older: Promise<void> | undefined;
  #stream: ApiStream<GenerationPacket> | undefined;
  #openSeq = 0;

  constructor(client: ApiClient, engine: EngineStore, hooks: ChatHooks, schedule: FrameScheduler) {
    this.#client = client;
    this.#engine = engine;
    this.#hooks = hooks;
    this.#schedule = schedule;
  }

  /** Show a conversation's active branch; with focusMessageId, switch to that message's branch and load back to it. */
  async open(conversationId: number | undefined, focusMessageId?: number): Promise<void> {
    const seq = ++this.#openSeq;
    this.conversationId = conversationId;
    this.editingId = undefined;
    this.focusId = undefined;
    if (conversationId === undefined) {
      this.messages = [];
      this.hasOlder = false;
      return;
    }
    this.loading = true;
    try {
      if (focusMessageId !== undefined) await this.#showBranchOf(focusMessageId);
      const page = await this.#client.call('messages.page', { conversationId, limit: PAGE_SIZE });
      if (seq !== this.#openSeq) return;
      this.messages = page.items;
      this.#olderCursor = page.nextCursor;
      this.hasOlder = page.nextCursor !== undefined;
      if (focusMessageId !== undefined) {
        while (seq === this.#openSeq && this.hasOlder && !this.messages.some((m) => m.id === focusMessageId)) await this.loadOlder(PAGE_LIMIT_MAX);
        this.focusId = focusMessageId;
      }
    } finally {
      if (seq === this.#openSeq) this.loading = false;
    }
  }

  async reload(): Promise<void> {
    await this.open(this.conversationId);
  }

  /** Prepend the page before the loaded window; concurrent callers share the request in flight. */
  loadOlder(limit: number = PAGE_SIZE): Promise<void> {
    this.#older ??= this.#loadOlder(limit).finally(() => (this.#older = undefined));
    return this.#older;
  }

  async #loadOlder(limit: number): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || !this.#olderCursor) return;
    this.loadingOlder = true;
    try {
      const page = await this.#client.call('messages.page', { conversationId: id, cursor: this.#olderCursor, limit });
      if (id !== this.conversationId) return;
      this.messages = [...page.items, ...this.messages];
      this.#olderCursor = page.nextCursor;
      this.hasOlder = page.nextCursor !== undefined;
    } finally {
      this.loadingOlder = false;
    }
  }

  async send(text: string): Promise<void> {
    if (text.trim() === '') return;
    await this.sendParts([{ kind: 'text', text }]);
  }

  /** A user message made of text and image parts, in the order the user placed them. */
  async sendParts(parts: Array<TextPart | ImagePart>): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || this.busy || parts.length === 0) return;
    const last = this.messages.at(-1);
    const stream = this.#client.stream('messages.send', {
      conversationId: id,
      parentId: last?.id ?? null,
      parts,
      ...this.#sampling(),
    });
    await this.#run(stream, this.messages.length);
  }

  /** A new answer to the same question, as a sibling of `assistant`. */
  async regenerate(assistant: Message): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || this.busy) return;
    const index = this.messages.findIndex((m) => m.id === assistant.id);
    if (index < 0) return;
    await this.#run(this.#client.stream('messages.regenerate', { messageId: assistant.id, ...this.#sampling() }), index);
  }

  /** Send an edited question as a sibling of `user`; the old branch stays reachable with ‹ ›. */
  async editAndResend(user: Message, text: string): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || this.busy || text.trim() === '') return;
    const index = this.messages.findIndex((m) => m.id === user.id);
    if (index < 0) return;
    this.editingId = undefined;
    const stream = this.#client.stream('messages.edit', { messageId: user.id, parts: [{ kind: 'text', text }], ...this.#sampling() });
    await this.#run(stream, index);
  }

  async switchSibling(message: Message, step: -1 | 1): Promise<void> {
    const id = this.conversationId;
    const target = message.siblingIndex + step;
    if (id === undefined || this.busy || target < 0 || target >= message.siblingCount) return;
    await this.#client.call('messages.switchBranch', { messageId: message.id, index: target });
    await this.open(id);
  }

  /** Cancel the running answer: main keeps the text so far and marks it stopped. */
  stop(): void {
    this.#stream?.cancel();
  }

  #sampling(): { sampling?: SamplingOverrides } {
    const s = this.#hooks.sampling();
    return s ? { sampling: s } : {};
  }

  /** Make the branch through a message the active one, down to that branch's newest message. */
  async #showBranchOf(messageId: number): Promise<void> {
    const siblings = await this.#client.call('messages.siblings', { messageId });
    const index = siblings.findIndex((m) => m.id === messageId);
    if (index >= 0) await this.#client.call('messages.switchBranch', { messageId, index });
  }

  textOf(message: Message): string {
    return message.id === this.streamingId ? this.streamingText : messageText(message.parts);
  }

  /** Drive one generation; messages from `keep` on are replaced by what it creates. */
  async #run(stream: ApiStream<GenerationPacket>, keep: number): Promise<void> {
    const conversationId = this.conversationId!;
    this.busy = true;
    this.#stream = stream;
    this.streamingText = '';
    this.promptProgress = undefined;
    this.#engine.clearError();
    const coalescer = new DeltaCoalescer(this.#schedule, (t) => {
      if (this.conversationId === conversationId) this.streamingText += t;
    });
    let started = false;
    const replace = (m: Message): void => {
      this.messages = this.messages.map((x) => (x.id === m.id ? m : x));
    };
    try {
      for await (const ev of stream) {
        if (this.conversationId !== conversationId) continue;
        switch (ev.type) {
          case 'started':
            this.messages = [...this.messages.slice(0, keep), ...(ev.user ? [ev.user] : []), ev.assistant];
            this.streamingId = ev.assistant.id;
            started = true;
            this.#hooks.onActivity(conversationId);
            break;
          case 'imageProgress':
            this.imageProgress = { imageHash: ev.imageHash, stage: ev.stage, done: ev.done, total: ev.total };
            break;
          case 'promptProgress':
            this.imageProgress = undefined;
            this.promptProgress = { evaluated: ev.evaluated, total: ev.total };
            break;
          case 'fragment':
            this.promptProgress = undefined;
            coalescer.push(ev.text);
            break;
          case 'success':
            coalescer.close();
            replace(ev.message);
            this.#engine.lastTokensPerSecond = ev.stats.timings.tokensPerSecond;
            break;
          case 'error':
            coalescer.close();
            if (ev.message) replace(ev.message);
            this.#engine.report(ev.error);
            break;
        }
      }
    } catch (err) {
      coalescer.close();
      this.#engine.report(toErrorData(err));
    } finally {
      coalescer.close();
      // The link dropped before main sent the final row: keep the text we saw, marked interrupted
      // (main has it too; the next reload shows main's copy).
      const open = this.messages.find((m) => m.id === this.streamingId && m.status === 'streaming');
      if (open) replace({ ...open, status: 'interrupted', parts: [{ kind: 'text', text: this.streamingText }] });
      this.streamingId = undefined;
      this.promptProgress = undefined;
      this.imageProgress = undefined;
      this.busy = false;
      this.#stream = undefined;
      this.#hooks.onActivity(conversationId);
    }
    // Refused before any row was written (no model, busy): show main's state, not a guess.
    if (!started && this.conversationId === conversationId) await this.reload();
  }
}
