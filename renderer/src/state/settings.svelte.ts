// App settings (model, backend, default sampling) and the current chat's sampling overrides.
import { DEFAULT_SAMPLING } from '../../../main/contract/chameleon.ts';
import type { SamplingSettingsInput } from '../../../main/contract/engine.ts';
import type { AppSettingsView, Backend } from '../api/backend.ts';

export const CHAMELEON_SAMPLING = {
  temperature: DEFAULT_SAMPLING.temperature,
  topP: DEFAULT_SAMPLING.topP,
  topK: DEFAULT_SAMPLING.topK,
  repeatPenalty: DEFAULT_SAMPLING.repeatPenalty,
  maxTokens: DEFAULT_SAMPLING.maxTokens,
};

export class SettingsStore {
  app = $state.raw<AppSettingsView | undefined>(undefined);
  /** Overrides of the chat on screen; undefined: it follows the defaults. */
  chatOverrides = $state.raw<SamplingSettingsInput | undefined>(undefined);
  chatId = $state<number | undefined>(undefined);
  open = $state(false);

  /** The sampling a new message of the current chat is sent with. */
  readonly effectiveSampling = $derived<SamplingSettingsInput>({
    ...(this.app?.sampling ?? CHAMELEON_SAMPLING),
    ...(this.chatOverrides ?? {}),
  });

  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    this.app = await this.#backend.getSettings();
  }

  async save(next: AppSettingsView): Promise<void> {
    this.app = await this.#backend.saveSettings(next);
  }

  async loadChat(conversationId: number | undefined): Promise<void> {
    this.chatId = conversationId;
    this.chatOverrides = conversationId === undefined ? undefined : await this.#backend.getChatSampling(conversationId);
  }

  async setChatOverrides(overrides: SamplingSettingsInput | undefined): Promise<void> {
    if (this.chatId === undefined) return;
    this.chatOverrides = overrides;
    await this.#backend.setChatSampling(this.chatId, overrides);
  }
}
