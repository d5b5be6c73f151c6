// App settings (model, backend, default sampling) and the current chat's sampling overrides.
import type { Settings } from '../../../main/contract/api.ts';
import type { SamplingOverrides } from '../../../main/contract/engine.ts';
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import { DEFAULT_SAMPLING } from '../../../main/contract/chameleon.ts';

/** Chameleon's reference sampling (temperature 0.7, top-p 0.9, repeat penalty 1.2). */
export const CHAMELEON_SAMPLING: Settings['sampling'] = {
  temperature: DEFAULT_SAMPLING.temperature,
  topP: DEFAULT_SAMPLING.topP,
  topK: DEFAULT_SAMPLING.topK,
  repeatPenalty: DEFAULT_SAMPLING.repeatPenalty,
  maxTokens: DEFAULT_SAMPLING.maxTokens,
};

export class SettingsStore {
  app = $state.raw<Settings | undefined>(undefined);
  /** Overrides of the chat on screen; undefined: it follows the defaults. */
  chatOverrides = $state.raw<SamplingOverrides | undefined>(undefined);
  chatId = $state<number | undefined>(undefined);

  readonly #client: ApiClient;
  readonly #off: () => void;

  constructor(client: ApiClient) {
    this.#client = client;
    this.#off = client.on('settings.changed', (s) => (this.app = s));
  }

  async load(): Promise<void> {
    this.app = await this.#client.call('settings.get', {});
  }

  async save(next: Settings): Promise<void> {
    this.app = await this.#client.call('settings.set', next);
  }

  async loadChat(conversationId: number | undefined): Promise<void> {
    this.chatId = conversationId;
    this.chatOverrides =
      conversationId === undefined ? undefined : ((await this.#client.call('chats.getSampling', { id: conversationId })) ?? undefined);
  }

  async setChatOverrides(overrides: SamplingOverrides | undefined): Promise<void> {
    if (this.chatId === undefined) return;
    await this.#client.call('chats.setSampling', { id: this.chatId, sampling: overrides ?? null });
    this.chatOverrides = overrides;
  }

  dispose(): void {
    this.#off();
  }
}
