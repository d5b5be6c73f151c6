// The engine's state as main publishes it (model.stateChanged snapshots, never polled), plus what
// the UI adds: the link state, the last answer's speed and the error banner.
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import type { EngineStatus } from '../../../main/contract/engine.ts';
import type { ErrorData } from '../../../main/contract/errors.ts';

export class EngineStore {
  status = $state.raw<EngineStatus>({ state: 'empty' });
  connected = $state(true);
  lastTokensPerSecond = $state<number | undefined>(undefined);
  /** The banner shown above the chat; cleared by the user or when the next answer starts. */
  error = $state.raw<ErrorData | undefined>(undefined);

  readonly ready = $derived(this.status.state === 'ready');
  readonly loading = $derived(this.status.state === 'loading');

  readonly #client: ApiClient;
  readonly #off: () => void;

  constructor(client: ApiClient) {
    this.#client = client;
    this.#off = client.on('model.stateChanged', (s) => this.#apply(s));
  }

  #apply(s: EngineStatus): void {
    this.status = s;
    if (s.error && (s.state === 'error' || s.state === 'crashed')) this.error = s.error;
    // A (re)load that starts or succeeds supersedes the previous model's failure.
    else if ((s.state === 'loading' || s.state === 'ready') && this.error?.code.startsWith('model.')) this.error = undefined;
  }

  async refresh(): Promise<void> {
    this.#apply(await this.#client.call('model.status', {}));
  }

  report(error: ErrorData): void {
    this.error = error;
  }

  clearError(): void {
    this.error = undefined;
  }

  dispose(): void {
    this.#off();
  }
}
