// The Models screen's state: the catalog, what is installed, the downloads (pushed by main as
// models.changed, a few times a second while one runs) and the fit check per catalog entry.
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import { toErrorData, type ErrorData } from '../../../main/contract/errors.ts';
import type { CatalogEntry, ConvertQuant, DownloadStatus, FitReport, ModelKind, ModelsSnapshot, TransformStatus } from '../../../main/contract/models.ts';

export class ModelsStore {
  catalog = $state.raw<CatalogEntry[]>([]);
  snapshot = $state.raw<ModelsSnapshot | undefined>(undefined);
  fits = $state.raw<Record<string, FitReport | ErrorData>>({});
  /** The last refusal of a command (already installed, in use, disk full …), and which part of the screen it belongs to. */
  error = $state.raw<(ErrorData & { where: 'list' | 'import' | 'token' | 'transform' | 'convert' }) | undefined>(undefined);

  readonly #client: ApiClient;
  readonly #off: () => void;

  constructor(client: ApiClient) {
    this.#client = client;
    this.#off = client.on('models.changed', (s) => (this.snapshot = s));
  }

  async load(): Promise<void> {
    const [catalog, snapshot] = await Promise.all([this.#client.call('models.catalog', {}), this.#client.call('models.list', {})]);
    this.catalog = catalog;
    this.snapshot = snapshot;
  }

  download(id: string): DownloadStatus | undefined {
    return this.snapshot?.downloads.find((d) => d.id === id);
  }

  installed(id: string): ModelsSnapshot['installed'][number] | undefined {
    return this.snapshot?.installed.find((m) => m.id === id);
  }

  async #run(work: () => Promise<unknown>, where: 'list' | 'import' | 'token' | 'transform' | 'convert' = 'list'): Promise<void> {
    this.error = undefined;
    try {
      await work();
      this.snapshot = await this.#client.call('models.list', {});
    } catch (err) {
      this.error = { ...toErrorData(err), where };
    }
  }

  clearError(): void {
    this.error = undefined;
  }

  /** The native open dialog (Electron) for a file to import; null when cancelled. */
  async pickFile(kind: 'gguf' | 'vqgan'): Promise<string | null> {
    return (await this.#client.call(kind === 'gguf' ? 'model.pickFile' : 'images.pickWeightsFile', {})).path;
  }

  /** The image-capable copy being written from installed GGUF `sourceId`, if any. */
  transform(sourceId: string): TransformStatus | undefined {
    return this.snapshot?.transforms.find((t) => t.sourceId === sourceId);
  }

  /** The native open dialog (Electron) for Anole's head; null when cancelled. */
  async pickHeadFile(): Promise<string | null> {
    return (await this.#client.call('models.pickHeadFile', {})).path;
  }

  /** The GGUF the last "make image-capable" request was for (its refusal shows there). */
  transformSourceId = $state.raw<string | undefined>(undefined);

  makeImageCapable = (id: string, head: { headId?: string; headPath?: string }): Promise<void> => {
    this.transformSourceId = id;
    return this.#run(() => this.#client.call('models.makeImageCapable', { id, ...head }), 'transform');
  };
  /** Checkpoint conversions running or failed. */
  get conversions(): TransformStatus[] {
    return this.snapshot?.transforms.filter((t) => t.kind === 'convert') ?? [];
  }

  /** The native folder dialog (Electron) for a checkpoint; null when cancelled. */
  async pickCheckpointFolder(): Promise<string | null> {
    return (await this.#client.call('models.pickCheckpointFolder', {})).path;
  }

  convertCheckpoint = (path: string, quant: ConvertQuant): Promise<void> => this.#run(() => this.#client.call('models.convertCheckpoint', { path, quant }), 'convert');
  cancelTransform = (id: string): Promise<void> => this.#run(() => this.#client.call('models.cancelTransform', { id }));

  pull = (id: string): Promise<void> => this.#run(() => this.#client.call('models.pull', { id }));
  pause = (id: string): Promise<void> => this.#run(() => this.#client.call('models.pause', { id }));
  resume = (id: string): Promise<void> => this.#run(() => this.#client.call('models.resume', { id }));
  cancel = (id: string): Promise<void> => this.#run(() => this.#client.call('models.cancel', { id }));
  remove = (id: string): Promise<void> => this.#run(() => this.#client.call('models.remove', { id }));
  use = (id: string): Promise<void> => this.#run(() => this.#client.call('models.use', { id }));
  import = (path: string, kind: Exclude<ModelKind, 'imageHead'>, mode: 'link' | 'copy'): Promise<void> => this.#run(() => this.#client.call('models.import', { path, kind, mode }), 'import');
  openFolder = (): Promise<void> => this.#run(() => this.#client.call('models.openFolder', {}));
  setToken = (token: string | null): Promise<void> => this.#run(() => this.#client.call('models.setToken', { token }), 'token');

  async fit(id: string): Promise<void> {
    try {
      this.fits = { ...this.fits, [id]: await this.#client.call('models.fit', { id }) };
    } catch (err) {
      this.fits = { ...this.fits, [id]: toErrorData(err) };
    }
  }

  dispose(): void {
    this.#off();
  }
}
