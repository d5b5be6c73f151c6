// The conversation on screen: the loaded window of its active branch (keyset pages, oldest first),
// the answer being streamed, and the branch operations (regenerate, edit-and-resend, ‹ n/m ›).
import { messageText, type Message, type MessagePart } from '../../../main/contract/chat.ts';
import { toErrorData } from '../../../main/contract/errors.ts';
import type { SamplingSettingsInput } from '../../../main/contract/engine.ts';
import type { Backend, GenerationHandle } from '../api/backend.ts';
import { DeltaCoalescer, type FrameScheduler } from '../lib/deltaCoalescer.ts';
import type { EngineStore } from './engine.svelte.ts';

export const PAGE_SIZE = 100;

export interface ChatHooks {
  /** The conversation changed in a way the sidebar shows (new message, title). */
  onActivity(conversationId: number): void;
  sampling(): SamplingSettingsInput;
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

  readonly #backend: Backend;
  readonly #engine: EngineStore;
  readonly #hooks: ChatHooks;
  readonly #schedule: FrameScheduler;
  #olderCursor: string | undefined;
  #handle: GenerationHandle | undefined;
  #openSeq = 0;

  constructor(backend: Backend, engine: EngineStore, hooks: ChatHooks, schedule: FrameScheduler) {
    this.#backend = backend;
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
      if (focusMessageId !== undefined) await this.#backend.selectBranch(conversationId, focusMessageId);
      const page = await this.#backend.activePath(conversationId, undefined, PAGE_SIZE);
      if (seq !== this.#openSeq) return;
      this.messages = page.items;
      this.#olderCursor = page.nextCursor;
      this.hasOlder = page.nextCursor !== undefined;
      if (focusMessageId !== undefined) {
        while (this.hasOlder && !this.messages.some((m) => m.id === focusMessageId)) await this.loadOlder();
        this.focusId = focusMessageId;
      }
    } finally {
      if (seq === this.#openSeq) this.loading = false;
    }
  }

  async reload(): Promise<void> {
    await this.open(this.conversationId);
  }

  async loadOlder(): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || !this.#olderCursor || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await this.#backend.activePath(id, this.#olderCursor, PAGE_SIZE);
      if (id !== this.conversationId) return;
      this.messages = [...page.items, ...this.messages];
      this.#olderCursor = page.nextCursor;
      this.hasOlder = page.nextCursor !== undefined;
    } finally {
      this.loadingOlder = false;
    }
  }

  async send(text: string): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || this.busy || text.trim() === '') return;
    const last = this.messages.at(-1);
    const parts: MessagePart[] = [{ kind: 'text', text }];
    await this.#run(this.#backend.send(id, last?.id ?? null, parts, this.#hooks.sampling()), this.messages.length);
  }

  /** A new answer to the same question, as a sibling of `assistant`. */
  async regenerate(assistant: Message): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || this.busy) return;
    const index = this.messages.findIndex((m) => m.id === assistant.id);
    if (index < 0) return;
    await this.#run(this.#backend.regenerate(id, assistant.id, this.#hooks.sampling()), index);
  }

  /** Send an edited question as a sibling of `user`; the old branch stays reachable with ‹ ›. */
  async editAndResend(user: Message, text: string): Promise<void> {
    const id = this.conversationId;
    if (id === undefined || this.busy || text.trim() === '') return;
    const index = this.messages.findIndex((m) => m.id === user.id);
    if (index < 0) return;
    this.editingId = undefined;
    await this.#run(this.#backend.send(id, user.parentId, [{ kind: 'text', text }], this.#hooks.sampling()), index);
  }

  async switchSibling(message: Message, step: -1 | 1): Promise<void> {
    const id = this.conversationId;
    const target = message.siblingIndex + step;
    if (id === undefined || this.busy || target < 0 || target >= message.siblingCount) return;
    const sibling = await this.#backend.sibling(message.id, target);
    await this.#backend.selectBranch(id, sibling.id);
    await this.open(id);
  }

  stop(): void {
    this.#handle?.stop();
  }

  textOf(message: Message): string {
    return message.id === this.streamingId ? this.streamingText : messageText(message.parts);
  }

  /** Drive one generation; messages from `keep` on are replaced by what it creates. */
  async #run(handle: GenerationHandle, keep: number): Promise<void> {
    const conversationId = this.conversationId!;
    this.busy = true;
    this.#handle = handle;
    this.streamingText = '';
    this.promptProgress = undefined;
    this.#engine.clearError();
    const coalescer = new DeltaCoalescer(this.#schedule, (t) => {
      if (this.conversationId === conversationId) this.streamingText += t;
    });
    const replace = (m: Message): void => {
      this.messages = this.messages.map((x) => (x.id === m.id ? m : x));
    };
    try {
      for await (const ev of handle.events) {
        if (this.conversationId !== conversationId) continue;
        switch (ev.type) {
          case 'started':
            this.messages = [...this.messages.slice(0, keep), ...(ev.user ? [ev.user] : []), ev.assistant];
            this.streamingId = ev.assistant.id;
            this.#hooks.onActivity(conversationId);
            break;
          case 'promptProgress':
            this.promptProgress = { evaluated: ev.evaluated, total: ev.total };
            break;
          case 'delta':
            this.promptProgress = undefined;
            coalescer.push(ev.text);
            break;
          case 'finished':
            coalescer.close();
            replace(ev.message);
            this.#engine.lastTokensPerSecond = ev.message.timings?.tokensPerSecond;
            break;
          case 'failed':
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
      this.busy = false;
      this.#handle = undefined;
      this.#hooks.onActivity(conversationId);
    }
  }
}
