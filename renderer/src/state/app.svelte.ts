// The renderer's composition root: builds the stores in order around the one API client and
// disposes them in reverse (house style rule 9). Components get it from Svelte context, never
// from a module global, and call its stores' methods; none of them talks to the client itself.
import { getContext, setContext } from 'svelte';
import type { Connection } from '../api/connect.ts';
import type { MarkdownRenderer } from '../lib/markdown.ts';
import type { ImagePart, Message, TextPart } from '../../../main/contract/chat.ts';
import type { RequestLogEntry } from '../../../main/contract/api.ts';
import { AttachmentsStore } from './attachments.svelte.ts';
import { ChatStore, type SendOutcome } from './chat.svelte.ts';
import { ConversationsStore } from './conversations.svelte.ts';
import { EngineStore } from './engine.svelte.ts';
import { EnginesStore } from './engines.svelte.ts';
import { ModelsStore } from './models.svelte.ts';
import { Notices } from './notices.svelte.ts';
import { TransfersStore } from './transfers.svelte.ts';
import { SettingsStore } from './settings.svelte.ts';
import { PresetsStore } from './presets.svelte.ts';
import { Toasts } from './toasts.svelte.ts';
import { UiState } from './ui.svelte.ts';

export class AppState {
  readonly connection: Connection;
  readonly markdown: MarkdownRenderer;
  readonly notices: Notices;
  readonly toasts: Toasts;
  readonly ui: UiState;
  readonly engine: EngineStore;
  /** This computer or a remote engine: which one answers (Settings → Engines). */
  readonly engines: EnginesStore;
  readonly settings: SettingsStore;
  readonly conversations: ConversationsStore;
  readonly chat: ChatStore;
  readonly attachments: AttachmentsStore;
  /** Catalog, downloads and installed models (the Models screen). */
  readonly models: ModelsStore;
  /** Export and import runs (the export dialog's progress, outcome, cancel). */
  readonly transfers: TransfersStore;
  /** Saved presets and the chat on screen's instructions. */
  readonly presets: PresetsStore;
  /** Registered by the components that own them, for keyboard focus management. */
  searchInput = $state<HTMLInputElement | undefined>(undefined);
  composerInput = $state<HTMLTextAreaElement | undefined>(undefined);
  #loaded = $state(false);

  readonly #disposers: Array<() => void> = [];
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(connection: Connection, markdown: MarkdownRenderer, storage?: Storage) {
    const client = connection.client;
    this.connection = connection;
    this.markdown = markdown;
    this.notices = new Notices();
    this.toasts = new Toasts();
    this.ui = new UiState(storage);
    this.engine = new EngineStore(client, this.notices);
    this.engines = new EnginesStore(client, this.notices);
    this.settings = new SettingsStore(client);
    this.conversations = new ConversationsStore(client, this.toasts);
    this.attachments = new AttachmentsStore(client);
    this.models = new ModelsStore(client);
    this.presets = new PresetsStore(client, {
      chatChanged: async (chat) => {
        this.conversations.replace(chat);
        await this.settings.loadChat(chat.id);
      },
    });
    this.transfers = new TransfersStore(client, connection.mode === 'electron', {
      imported: async (outcome, summary) => {
        await this.conversations.refresh();
        this.toasts.show(summary);
        const first = outcome.conversations[0];
        if (first) await this.select(first.id);
      },
    });
    this.chat = new ChatStore(
      client,
      this.notices,
      {
        onActivity: () => this.#refreshList(),
        sampling: (id) => this.settings.overridesFor(id),
        connected: () => this.engine.connected,
      },
      (cb) => requestAnimationFrame(() => cb()),
    );
    this.#disposers.push(
      // Another window (or the API) changed a chat: refresh the list, and the open chat if idle.
      client.on('chats.changed', (e) => {
        this.#refreshList();
        if (e.conversationId === this.chat.conversationId && !this.chat.busy && e.reason === 'messages') void this.chat.reload();
      }),
      connection.onConnection(({ connected, error }) => {
        const was = this.engine.connected;
        this.engine.setConnected(connected);
        if (!connected && error?.code === 'api.unauthorized') this.notices.report(error);
        // Back after a drop (server restart): everything may have changed.
        if (connected && !was) void this.resync();
      }),
    );
  }

  get mode(): 'electron' | 'browser' {
    return this.connection.mode;
  }
  /** True once the first full load from main succeeded (until then the UI says it is connecting). */
  get loaded(): boolean {
    return this.#loaded;
  }
  /** The key this page talks to the local server with (browser mode), for the server panel. */
  get apiKey(): string | undefined {
    return this.connection.apiKey;
  }
  /** The key was refused: waiting will not help, the page needs the right address. */
  get keyRefused(): boolean {
    return this.notices.current?.code === 'api.unauthorized';
  }

  async start(): Promise<void> {
    if (this.connection.fatal) {
      this.engine.setConnected(false);
      this.notices.report(this.connection.fatal);
      return;
    }
    try {
      await Promise.all([this.engine.refresh(), this.engines.refresh(), this.settings.load(), this.conversations.refresh(), this.attachments.refreshCapability()]);
    } catch (err) {
      // Not reachable yet: the transport retries and resync() runs when it connects.
      if (!this.engine.connected) return;
      throw err;
    }
    this.#loaded = true;
    const first = this.conversations.items[0];
    if (first) await this.select(first.id);
  }

  async resync(): Promise<void> {
    if (!this.#loaded) return this.start();
    await Promise.all([this.engine.refresh(), this.engines.refresh(), this.settings.load(), this.conversations.refresh(), this.attachments.refreshCapability()]);
    if (!this.chat.busy) await this.chat.reload();
  }

  async select(conversationId: number | undefined, focusMessageId?: number): Promise<void> {
    await Promise.all([this.chat.open(conversationId, focusMessageId), this.settings.loadChat(conversationId), this.presets.loadChat(conversationId)]);
  }

  async newChat(): Promise<void> {
    // Reuse an empty chat at the top instead of piling up blank ones.
    const top = this.conversations.items[0];
    // The list may lag behind a chat that just got its first message: never reuse one with messages on screen or an answer running.
    const empty = top && top.activeLeafId === undefined && !top.titleIsCustom && !this.chat.isRunning(top.id) && !(top.id === this.chat.conversationId && this.chat.messages.length > 0);
    const c = empty ? top : await this.conversations.create();
    await this.select(c.id);
    this.composerInput?.focus();
  }

  /** Send from the composer (text, or text and images in order); with no chat open, start one first. */
  async send(message: string | Array<TextPart | ImagePart>): Promise<SendOutcome> {
    if (this.chat.conversationId === undefined) await this.newChat();
    return typeof message === 'string' ? this.chat.send(message) : this.chat.sendParts(message);
  }

  /** Fork the chat on screen at `message` into a new chat, and open it. */
  async fork(message: Message): Promise<void> {
    const id = await this.chat.fork(message);
    if (id === undefined) return;
    await this.conversations.refresh();
    await this.select(id);
    this.toasts.show('Forked into a new chat');
    this.composerInput?.focus();
  }

  /** Pin or unpin; archive or unarchive (an archived chat on screen stays open). */
  async setPinned(conversationId: number, pinned: boolean): Promise<void> {
    await this.conversations.setPinned(conversationId, pinned);
  }
  async setArchived(conversationId: number, archived: boolean): Promise<void> {
    await this.conversations.setArchived(conversationId, archived);
    if (archived) this.toasts.show('Archived', { actionLabel: 'Undo', action: () => void this.conversations.setArchived(conversationId, false), ms: 8000 });
  }

  async remove(conversationId: number): Promise<void> {
    await this.conversations.remove(conversationId, () => {
      if (this.chat.conversationId === conversationId) void this.select(this.conversations.items[0]?.id);
    });
  }

  /** The local API server's last requests (the server panel), newest first. */
  async serverRequests(): Promise<{ available: boolean; requests: RequestLogEntry[] }> {
    return this.connection.client.call('server.requests', {});
  }

  /** The native file dialogs (Electron only): the chosen path, or null. */
  async pickModelFile(): Promise<string | null> {
    return (await this.connection.client.call('model.pickFile', {})).path;
  }
  async pickWeightsFile(): Promise<string | null> {
    return (await this.connection.client.call('images.pickWeightsFile', {})).path;
  }

  /** Coalesce bursts of changes (a streamed answer touches its chat often) into one list fetch. */
  #refreshList(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => void this.conversations.refresh(), 100);
  }

  dispose(): void {
    clearTimeout(this.#refreshTimer);
    for (const d of this.#disposers.reverse()) d();
    this.models.dispose();
    this.attachments.dispose();
    this.settings.dispose();
    this.engines.dispose();
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
