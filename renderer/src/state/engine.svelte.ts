// The engine's state as main publishes it (snapshots, never polled), plus what the UI adds:
// the last answer's speed and the error banner.
import type { EngineStatus } from '../../../main/contract/engine.ts';
import type { ErrorData } from '../../../main/contract/errors.ts';
import type { Backend } from '../api/backend.ts';

export class EngineStore {
  status = $state.raw<EngineStatus>({ state: 'empty' });
  connected = $state(true);
  lastTokensPerSecond = $state<number | undefined>(undefined);
  /** The banner shown above the chat; cleared by the user or by the next success. */
  error = $state.raw<ErrorData | undefined>(undefined);

  readonly ready = $derived(this.status.state === 'ready');
  readonly loading = $derived(this.status.state === 'loading');
  readonly hasModel = $derived(this.status.model !== undefined || this.status.settings?.modelPath !== undefined);

  readonly #backend: Backend;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(backend: Backend) {
    this.#backend = backend;
    this.#unsubscribe.push(
      backend.onEngineStatus((s) => {
        this.status = s;
        if (s.error && (s.state === 'error' || s.state === 'crashed')) this.error = s.error;
      }),
      backend.onConnection((c) => (this.connected = c)),
    );
  }

  async refresh(): Promise<void> {
    this.status = await this.#backend.engineStatus();
    if (this.status.error) this.error = this.status.error;
  }

  report(error: ErrorData): void {
    this.error = error;
  }

  clearError(): void {
    this.error = undefined;
  }

  dispose(): void {
    for (const u of this.#unsubscribe) u();
  }
}
