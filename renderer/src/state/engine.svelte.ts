// The engine's state as main publishes it (model.stateChanged snapshots, never polled), plus what
// the UI adds: the link state. Model failures go to the Notices banner.
import type { CommandInput } from '../../../main/contract/api.ts';
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import type { EngineStatus } from '../../../main/contract/engine.ts';
import type { Notices } from './notices.svelte.ts';

export class EngineStore {
  #status = $state.raw<EngineStatus>({ state: 'empty' });
  #connected = $state(true);

  readonly ready = $derived(this.#status.state === 'ready');
  readonly loading = $derived(this.#status.state === 'loading');
  /** Nothing loaded and nothing loading (never chosen, or the chosen file failed). */
  readonly noModel = $derived((this.#status.state === 'empty' || this.#status.state === 'error') && this.#status.model === undefined);

  readonly #client: ApiClient;
  readonly #notices: Notices;
  readonly #off: () => void;

  constructor(client: ApiClient, notices: Notices) {
    this.#client = client;
    this.#notices = notices;
    this.#off = client.on('model.stateChanged', (s) => this.#apply(s));
  }

  get status(): EngineStatus {
    return this.#status;
  }

  get connected(): boolean {
    return this.#connected;
  }

  setConnected(connected: boolean): void {
    this.#connected = connected;
  }

  #apply(s: EngineStatus): void {
    this.#status = s;
    if (s.error && (s.state === 'error' || s.state === 'crashed')) this.#notices.report(s.error);
    // A (re)load that starts or succeeds supersedes the previous model's failure.
    else if (s.state === 'loading' || s.state === 'ready') this.#notices.clear((e) => e.code.startsWith('model.'));
  }

  async refresh(): Promise<void> {
    this.#apply(await this.#client.call('model.status', {}));
  }

  /** Load what the user chose in Settings (main fills in the rest from the settings file). */
  async load(request: CommandInput<'model.load'>): Promise<void> {
    await this.#client.call('model.load', request);
  }

  async unload(): Promise<void> {
    this.#apply(await this.#client.call('model.unload', {}));
  }

  async cancelLoad(): Promise<void> {
    await this.#client.call('model.cancelLoad', {});
  }

  dispose(): void {
    this.#off();
  }
}
