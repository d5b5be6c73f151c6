// Saved presets (instructions + sampling) and a chat's own instructions: what the chat panel's
// upper half shows. Applying a preset copies it into the chat in main; the chat's summary and
// sampling are then reloaded through the hook, so the panel shows what the chat will send.
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import type { ConversationSummary } from '../../../main/contract/chat.ts';
import type { SamplingOverrides } from '../../../main/contract/engine.ts';
import type { Preset } from '../../../main/contract/presets.ts';

export interface PresetHooks {
  /** A chat's summary changed here (instructions, preset): lists and its sampling follow. */
  chatChanged(chat: ConversationSummary): Promise<void>;
}

export class PresetsStore {
  #items = $state.raw<Preset[]>([]);
  /** The chat on screen as main last described it (its instructions and preset). */
  #chat = $state.raw<ConversationSummary | undefined>(undefined);
  #seq = 0;
  readonly #client: ApiClient;
  readonly #hooks: PresetHooks;

  constructor(client: ApiClient, hooks: PresetHooks) {
    this.#client = client;
    this.#hooks = hooks;
  }

  get items(): Preset[] {
    return this.#items;
  }
  get chat(): ConversationSummary | undefined {
    return this.#chat;
  }
  /** The name of the preset the chat on screen was set from, while that preset exists. */
  get chatPresetName(): string | undefined {
    const id = this.#chat?.presetId;
    return id === undefined ? undefined : this.#items.find((p) => p.id === id)?.name;
  }

  async loadChat(conversationId: number | undefined): Promise<void> {
    const seq = ++this.#seq;
    const chat = conversationId === undefined ? undefined : await this.#client.call('chats.get', { id: conversationId });
    if (seq === this.#seq) this.#chat = chat;
  }

  async load(): Promise<void> {
    this.#items = await this.#client.call('presets.list', {});
  }

  /** Save the chat's current instructions and sampling under `name` (overwriting a preset of that name). */
  async save(name: string, instructions: string, sampling: SamplingOverrides): Promise<Preset> {
    const same = this.#items.find((p) => p.name.toLowerCase() === name.trim().toLowerCase());
    const preset = await this.#client.call('presets.save', { ...(same ? { id: same.id } : {}), name, instructions, sampling });
    await this.load();
    return preset;
  }

  async remove(id: number): Promise<void> {
    await this.#client.call('presets.delete', { id });
    await this.load();
  }

  async apply(conversationId: number, presetId: number): Promise<ConversationSummary> {
    const chat = await this.#client.call('chats.applyPreset', { id: conversationId, presetId });
    this.#chat = chat;
    await this.#hooks.chatChanged(chat);
    return chat;
  }

  async setInstructions(conversationId: number, instructions: string): Promise<ConversationSummary> {
    const chat = await this.#client.call('chats.setInstructions', { id: conversationId, instructions });
    this.#chat = chat;
    await this.#hooks.chatChanged(chat);
    return chat;
  }
}
