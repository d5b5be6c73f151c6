// App settings (model, backend, default sampling) and the current chat's sampling overrides.
import type { Settings } from '../../../main/contract/api.ts';
import { SamplingOverridesSchema, type SamplingOverrides } from '../../../main/contract/engine.ts';
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import { DEFAULT_SAMPLING } from '../../../main/contract/chameleon.ts';
import { differingKeys } from '../lib/samplingForm.ts';

/** Chameleon's reference sampling (temperature 0.7, top-p 0.9, repeat penalty 1.2). */
export const CHAMELEON_SAMPLING: Settings['sampling'] = {
  temperature: DEFAULT_SAMPLING.temperature,
  topP: DEFAULT_SAMPLING.topP,
  topK: DEFAULT_SAMPLING.topK,
  repeatPenalty: DEFAULT_SAMPLING.repeatPenalty,
  maxTokens: DEFAULT_SAMPLING.maxTokens,
};

export class SettingsStore {
  #app = $state.raw<Settings | undefined>(undefined);
  /** Overrides of the chat on screen; undefined: it follows the defaults. */
  #chatOverrides = $state.raw<SamplingOverrides | undefined>(undefined);
  #chatId = $state<number | undefined>(undefined);

  /** The app's default sampling (Chameleon's reference values until the settings arrive). */
  readonly defaults = $derived<Settings['sampling']>(this.#app?.sampling ?? CHAMELEON_SAMPLING);
  /** What the chat on screen sends: the defaults with its overrides on top. */
  readonly effective = $derived<SamplingOverrides>({ ...this.defaults, ...(this.#chatOverrides ?? {}) });
  /** The fields where the chat on screen differs from the defaults (the sampling panel marks them). */
  readonly chatDiffers = $derived(differingKeys(this.#chatOverrides, this.defaults));

  readonly #client: ApiClient;
  readonly #off: () => void;
  #loadSeq = 0;

  constructor(client: ApiClient) {
    this.#client = client;
    this.#off = client.on('settings.changed', (s) => (this.#app = s));
  }

  get app(): Settings | undefined {
    return this.#app;
  }
  get chatOverrides(): SamplingOverrides | undefined {
    return this.#chatOverrides;
  }
  get chatId(): number | undefined {
    return this.#chatId;
  }

  /** The overrides to send with a message of `conversationId` (only the chat on screen is known). */
  overridesFor(conversationId: number): SamplingOverrides | undefined {
    return conversationId === this.#chatId ? this.#chatOverrides : undefined;
  }

  async load(): Promise<void> {
    this.#app = await this.#client.call('settings.get', {});
  }

  async save(next: Settings): Promise<void> {
    this.#app = await this.#client.call('settings.set', next);
  }

  async loadChat(conversationId: number | undefined): Promise<void> {
    const seq = ++this.#loadSeq;
    this.#chatId = conversationId;
    const overrides = conversationId === undefined ? undefined : ((await this.#client.call('chats.getSampling', { id: conversationId })) ?? undefined);
    if (seq === this.#loadSeq) this.#chatOverrides = overrides;
  }

  /**
   * Store the chat's overrides: only the values that differ from the defaults, so the chat keeps
   * following the defaults in everything else. Undefined (or nothing different) clears them.
   */
  async setChatOverrides(overrides: SamplingOverrides | undefined): Promise<void> {
    if (this.#chatId === undefined) return;
    const keys = differingKeys(overrides, this.defaults);
    const kept = keys.length > 0 ? (Object.fromEntries(keys.map((k) => [k, overrides![k]])) as SamplingOverrides) : undefined;
    // chats.setSampling patches field by field: every other field is cleared back to the default.
    const patch = kept ? Object.fromEntries(Object.keys(SamplingOverridesSchema.shape).map((k) => [k, kept[k as keyof SamplingOverrides] ?? null])) : null;
    await this.#client.call('chats.setSampling', { id: this.#chatId, sampling: patch });
    this.#chatOverrides = kept;
  }

  dispose(): void {
    this.#off();
  }
}
