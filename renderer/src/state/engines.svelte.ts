// The engines (this computer, or remote ones added in Settings) as main publishes them
// (engines.changed snapshots). Remote engine failures go to the Notices banner, whose action
// switches back to this computer in one click.
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import { LOCAL_ENGINE_ID, type EngineId, type EnginesSnapshot, type RemoteEngine, type RemoteEngineInput, type RemoteModel } from '../../../main/contract/remoteEngines.ts';
import type { Notices } from './notices.svelte.ts';

export class EnginesStore {
  #snapshot = $state.raw<EnginesSnapshot>({ active: LOCAL_ENGINE_ID, engines: [], keyStorage: 'file' });
  readonly #client: ApiClient;
  readonly #notices: Notices;
  readonly #off: () => void;

  /** The remote engine that answers now; undefined while this computer does. */
  readonly activeRemote = $derived<RemoteEngine | undefined>(this.#snapshot.engines.find((e) => e.id === this.#snapshot.active));

  constructor(client: ApiClient, notices: Notices) {
    this.#client = client;
    this.#notices = notices;
    this.#off = client.on('engines.changed', (s) => this.#apply(s));
  }

  get snapshot(): EnginesSnapshot {
    return this.#snapshot;
  }

  #apply(s: EnginesSnapshot): void {
    this.#snapshot = s;
    if (s.remote?.state === 'error' && s.remote.error) this.#notices.report(s.remote.error);
    else if (s.active === LOCAL_ENGINE_ID || s.remote?.state === 'ready') this.#notices.clear((e) => e.code.startsWith('remote.'));
  }

  async refresh(): Promise<void> {
    this.#apply(await this.#client.call('engines.list', {}));
  }

  /** `editing`: the engine being changed, so an unchanged key field tests with its stored key. */
  check(input: RemoteEngineInput, editing?: string): Promise<RemoteModel> {
    return this.#client.call('engines.check', editing ? { ...input, id: editing } : input);
  }

  async add(input: RemoteEngineInput): Promise<void> {
    this.#apply(await this.#client.call('engines.add', input));
  }

  async update(id: string, engine: RemoteEngineInput): Promise<void> {
    this.#apply(await this.#client.call('engines.update', { id, engine }));
  }

  async remove(id: string): Promise<void> {
    this.#apply(await this.#client.call('engines.remove', { id }));
  }

  /** Switch engines; a remote one that fails its check reports why (the banner) and stays marked. */
  async use(id: EngineId): Promise<void> {
    try {
      this.#apply(await this.#client.call('engines.use', { id }));
    } finally {
      await this.refresh().catch(() => undefined);
    }
  }

  dispose(): void {
    this.#off();
  }
}
