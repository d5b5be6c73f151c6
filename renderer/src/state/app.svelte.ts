// The renderer's composition root: builds the stores in order around one Backend and disposes them
// in reverse (house style rule 9). Components get it from Svelte context, never from a module global.
import { getContext, setContext } from 'svelte';
import type { Backend } from '../api/backend.ts';
import type { MarkdownRenderer } from '../lib/markdown.ts';
import { ChatStore } from './chat.svelte.ts';
import { ConversationsStore } from './conversations.svelte.ts';
import { EngineStore } from './engine.svelte.ts';
import { SettingsStore } from './settings.svelte.ts';
import { Toasts } from './toasts.svelte.ts';

export class AppState {
  readonly backend: Backend;
  readonly markdown: MarkdownRenderer;
  readonly toasts: Toasts;
  readonly engine: EngineStore;
  readonly settings: SettingsStore;
  readonly conversations: ConversationsStore;
  readonly chat: ChatStore;
  /** Set by Sidebar so Ctrl/Cmd+K can focus it. */
  searchInput = $state<HTMLInputElement | undefined>(undefined);
  composerInput = $state<HTMLTextAreaElement | undefined>(undefined);

  constructor(backend: Backend, markdown: MarkdownRenderer) {
    this.backend = backend;
    this.markdown = markdown;
    this.toasts = new Toasts();
    this.engine = new EngineStore(backend);
    this.settings = new SettingsStore(backend);
    this.conversations = new ConversationsStore(backend, this.toasts);
    this.chat = new ChatStore(
      backend,
      this.engine,
      {
        onActivity: () => void this.conversations.refresh(),
        sampling: () => this.settings.effectiveSampling,
      },
      (cb) => requestAnimationFrame(() => cb()),
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.engine.refresh(), this.settings.load(), this.conversations.refresh()]);
    const first = this.conversations.items[0];
    if (first) await this.select(first.id);
  }

  async select(conversationId: number | undefined, focusMessageId?: number): Promise<void> {
    await Promise.all([this.chat.open(conversationId, focusMessageId), this.settings.loadChat(conversationId)]);
  }

  async newChat(): Promise<void> {
    // Reuse an empty chat at the top instead of piling up blank ones.
    const top = this.conversations.items[0];
    const c = top && top.activeLeafId === undefined && !top.titleIsCustom ? top : await this.conversations.create();
    await this.select(c.id);
    this.composerInput?.focus();
  }

  async remove(conversationId: number): Promise<void> {
    await this.conversations.remove(conversationId, () => {
      if (this.chat.conversationId === conversationId) void this.select(this.conversations.items[0]?.id);
    });
  }

  dispose(): void {
    this.engine.dispose();
    this.toasts.dispose();
  }
}

const KEY = Symbol('app');
export function provideApp(app: AppState): void {
  setContext(KEY, app);
}
export function useApp(): AppState {
  return getContext<AppState>(KEY);
}
