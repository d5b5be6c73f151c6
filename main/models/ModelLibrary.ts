// Installed models and the download queue. Downloads run in main, one at a time by default, and
// outlive the window: the queue is written to models.json on every change, so after a restart (or
// a kill) unfinished downloads resume from their partial files and paused ones stay paused.
// Import links a local file in place or copies it into the models folder; remove refuses a model
// in use and reports the space it freed.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError, toErrorData } from '../contract/errors.ts';
import { imageCapableId, type ConvertQuant, type Catalog, type CatalogEntry, type DownloadStatus, type InstalledModel, type ModelKind, type ModelsSnapshot, type TransformStatus } from '../contract/models.ts';
import { partialFileName } from '../engine/modelDownloader.ts';
import { catalogEntry } from './catalog.ts';
import { checkContent, entryDir, entryFileName, runDownloadJob } from './downloadJob.ts';
import { runSliceJob } from './tensorSliceJob.ts';
import type { TokenStore } from './hubToken.ts';
import { modelsDir, readModelsFile, writeModelsFile, type ModelsFile } from './modelsFile.ts';
import { sha256File } from './sha256File.ts';
import { TransformJobs } from './TransformJobs.ts';

export interface ModelLibraryOptions {
  dataDir: string;
  catalog: Catalog;
  endpoint: string;
  tokens: TokenStore;
  /** Paths the app uses now (the loaded model, the chosen VQ-GAN weights): not removable. */
  inUse: () => readonly string[];
  /** A download finished and verified (the app selects it). */
  onInstalled?: (model: InstalledModel) => Promise<void> | void;
  /** Every change, progress coalesced to a few per second. */
  onChanged?: (snapshot: ModelsSnapshot) => void;
  /** Resume the saved queue now (default true). */
  resumeAtStart?: boolean;
  progressIntervalMs?: number;
}

interface Job {
  entry: CatalogEntry;
  status: DownloadStatus;
  controller: AbortController | null;
}

export class ModelLibrary {
  readonly #options: ModelLibraryOptions;
  readonly #file: ModelsFile;
  readonly #jobs: Job[] = [];
  #running: Promise<void> | null = null;
  #hasToken = false;
  #lastEmit = 0;
  #disposed = false;
  readonly #transforms: TransformJobs;

  private constructor(options: ModelLibraryOptions, file: ModelsFile) {
    this.#options = options;
    this.#file = file;
    this.#transforms = new TransformJobs({
      modelsDir: modelsDir(options.dataDir),
      onChanged: (force) => this.#emit(force),
      install: async (model) => {
        this.#file.installed = [...this.#file.installed.filter((m) => m.id !== model.id), model];
        await this.#persist();
        this.#emit(true);
      },
    });
  }

  static async open(options: ModelLibraryOptions): Promise<ModelLibrary> {
    const service = new ModelLibrary(options, await readModelsFile(options.dataDir));
    service.#hasToken = (await options.tokens.get()) !== null;
    for (const saved of service.#file.downloads) {
      const entry = options.catalog.entries.find((e) => e.id === saved.id);
      if (entry) service.#jobs.push(service.#newJob(entry, saved.paused ? 'paused' : 'queued'));
    }
    if (options.resumeAtStart !== false) service.#pump();
    return service;
  }

  get modelsDir(): string {
    return modelsDir(this.#options.dataDir);
  }

  get catalog(): Catalog {
    return this.#options.catalog;
  }

  snapshot(): ModelsSnapshot {
    const inUse = new Set(this.#options.inUse());
    return {
      modelsDir: this.modelsDir,
      installed: this.#file.installed.map((m) => ({ ...m, inUse: inUse.has(m.path) })),
      downloads: this.#jobs.map((j) => ({ ...j.status })),
      transforms: this.#transforms.list(),
      hasToken: this.#hasToken,
    };
  }

  installed(id: string): InstalledModel {
    const model = this.#file.installed.find((m) => m.id === id);
    if (!model) throw new AppError('models.notInstalled', `No installed model "${id}".`, { id });
    return model;
  }

  /** Queue a catalog download. The same file twice is one download, never two writers. */
  async pull(id: string): Promise<DownloadStatus> {
    const entry = catalogEntry(this.#options.catalog, id);
    if (this.#file.installed.some((m) => m.id === id)) throw new AppError('models.alreadyInstalled', `${entry.name} is already installed.`, { id });
    const existing = this.#jobs.find((j) => j.entry.id === id);
    if (existing) {
      if (existing.status.state === 'failed' || existing.status.state === 'paused') return this.resume(id);
      this.#pump();
      return { ...existing.status };
    }
    const job = this.#newJob(entry, 'queued');
    this.#jobs.push(job);
    await this.#persist();
    this.#emit(true);
    this.#pump();
    return { ...job.status };
  }

  /** Stops the download and keeps its partial file (also across restarts). */
  async pause(id: string): Promise<DownloadStatus> {
    const job = this.#job(id);
    job.controller?.abort();
    job.status = { ...job.status, state: 'paused', bytesPerSecond: 0, secondsLeft: null };
    await this.#persist();
    this.#emit(true);
    return { ...job.status };
  }

  async resume(id: string): Promise<DownloadStatus> {
    const job = this.#job(id);
    if (job.status.state === 'paused' || job.status.state === 'failed') {
      const { error: _error, ...rest } = job.status;
      job.status = { ...rest, state: 'queued' };
      await this.#persist();
      this.#emit(true);
      this.#pump();
    }
    return { ...job.status };
  }

  /** Stops the download and deletes its partial file. */
  async cancel(id: string): Promise<void> {
    const job = this.#job(id);
    job.controller?.abort();
    this.#jobs.splice(this.#jobs.indexOf(job), 1);
    await this.#running?.catch(() => undefined);
    const dir = entryDir(this.modelsDir, job.entry);
    const partial = job.entry.kind === 'imageHead' ? `${job.entry.id}.safetensors.part` : partialFileName(entryFileName(job.entry));
    await rm(join(dir, partial), { force: true });
    await this.#persist();
    this.#emit(true);
  }

  async remove(id: string): Promise<{ freedBytes: number }> {
    const model = this.installed(id);
    if (this.#options.inUse().includes(model.path)) throw new AppError('models.inUse', `${model.name} is in use; choose another model (or unload it) before removing it.`, { id });
    let freedBytes = 0;
    if (!model.linked) {
      freedBytes = await stat(model.path).then((s) => s.size, () => 0);
      await rm(model.path, { force: true });
    }
    this.#file.installed = this.#file.installed.filter((m) => m !== model);
    await this.#persist();
    this.#emit(true);
    return { freedBytes };
  }

  /** Validates a local file as `kind`, then links it in place or copies it into the models folder. */
  async import(path: string, kind: Exclude<ModelKind, 'imageHead'>, mode: 'link' | 'copy'): Promise<InstalledModel> {
    const { imageAliases } = await checkContent(path, { kind, file: basename(path) });
    const id = `local-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
    if (this.#file.installed.some((m) => m.id === id)) throw new AppError('models.alreadyInstalled', `${basename(path)} is already in the models list.`, { id });
    let target = path;
    if (mode === 'copy') {
      target = join(this.modelsDir, id, basename(path));
      await rm(join(this.modelsDir, id), { recursive: true, force: true });
      await mkdir(join(this.modelsDir, id), { recursive: true });
      await copyFile(path, target);
    }
    const model: InstalledModel = {
      id,
      name: basename(path),
      kind,
      path: target,
      bytes: (await stat(target)).size,
      sha256: await sha256File(target),
      // an image-capable GGUF made earlier (or elsewhere by this app) draws again once imported
      enables: kind === 'gguf' ? (imageAliases ? ['text', 'imagesOut'] : ['text']) : ['imagesIn'],
      linked: mode === 'link',
      addedAt: Date.now(),
    };
    this.#file.installed.push(model);
    await this.#persist();
    this.#emit(true);
    return model;
  }

  /**
   * Start writing an image-capable copy of installed GGUF `id` (image aliases, Anole's head from
   * `headPath` — a file the caller checked as chosen by the user — or an installed head `headId`).
   */
  makeImageCapable(id: string, head: { headId?: string; headPath?: string }): TransformStatus {
    const source = this.installed(id);
    if (this.#file.installed.some((m) => m.id === imageCapableId(id))) {
      throw new AppError('models.alreadyInstalled', `An image-capable copy of ${source.name} is installed already.`, { id: imageCapableId(id) });
    }
    const installedHead = head.headId ? this.installed(head.headId) : undefined;
    if (installedHead && installedHead.kind !== 'imageHead') throw new AppError('models.badWeights', `${installedHead.name} is not an image head.`, { id: installedHead.id });
    const headPath = installedHead?.path ?? head.headPath;
    return this.#transforms.start(source, headPath);
  }

  /** Start converting the HF checkpoint folder `dir` (checked by the caller as chosen by the user) to a `quant` GGUF. */
  convertCheckpoint(dir: string, quant: ConvertQuant): TransformStatus {
    return this.#transforms.startConvert(dir, quant);
  }

  cancelTransform(id: string): Promise<void> {
    return this.#transforms.cancel(id);
  }

  async setToken(token: string | null): Promise<void> {
    await this.#options.tokens.set(token);
    this.#hasToken = token !== null && token !== '';
    this.#emit(true);
  }

  /** Resolves when no download is running or queued (paused and failed ones stay). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops the running download, keeping its partial file and its place in the queue. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const job of this.#jobs) job.controller?.abort();
    await this.#running?.catch(() => undefined);
    await this.#transforms.dispose();
  }

  #newJob(entry: CatalogEntry, state: DownloadStatus['state']): Job {
    return { entry, controller: null, status: { id: entry.id, state, done: 0, total: entry.bytes, bytesPerSecond: 0, secondsLeft: null } };
  }

  #job(id: string): Job {
    const job = this.#jobs.find((j) => j.entry.id === id);
    if (!job) throw new AppError('models.notInCatalog', `No download of "${id}" is queued.`, { id });
    return job;
  }

  async #persist(): Promise<void> {
    this.#file.downloads = this.#jobs.map((j) => ({ id: j.entry.id, paused: j.status.state === 'paused' || j.status.state === 'failed' }));
    await writeModelsFile(this.#options.dataDir, this.#file);
  }

  #emit(force = false): void {
    const now = Date.now();
    if (!force && now - this.#lastEmit < (this.#options.progressIntervalMs ?? 250)) return;
    this.#lastEmit = now;
    this.#options.onChanged?.(this.snapshot());
  }

  #pump(): void {
    if (this.#running || this.#disposed) return;
    const next = this.#jobs.find((j) => j.status.state === 'queued');
    if (!next) return;
    this.#running = this.#run(next).finally(() => {
      this.#running = null;
      this.#pump();
    });
  }

  async #run(job: Job): Promise<void> {
    const controller = new AbortController();
    job.controller = controller;
    job.status = { ...job.status, state: 'downloading' };
    this.#emit(true);
    try {
      const runJob = job.entry.kind === 'imageHead' ? runSliceJob : runDownloadJob;
      const installed = await runJob(job.entry, {
        endpoint: this.#options.endpoint,
        token: await this.#options.tokens.get(),
        modelsDir: this.modelsDir,
        signal: controller.signal,
        onProgress: (p) => {
          if (controller.signal.aborted) return;
          job.status = { ...job.status, state: p.state, done: p.done, total: p.total || job.status.total, bytesPerSecond: p.bytesPerSecond, secondsLeft: p.secondsLeft };
          this.#emit();
        },
      });
      if (!installed) return; // paused, cancelled or shutting down: state already says which
      const model: InstalledModel = { ...installed, addedAt: Date.now() };
      this.#file.installed = [...this.#file.installed.filter((m) => m.id !== model.id), model];
      this.#jobs.splice(this.#jobs.indexOf(job), 1);
      await this.#persist();
      this.#emit(true);
      await this.#options.onInstalled?.(model);
      this.#emit(true);
    } catch (err) {
      if (!this.#jobs.includes(job)) return;
      job.status = { ...job.status, state: 'failed', bytesPerSecond: 0, secondsLeft: null, error: toErrorData(err, 'models.downloadFailed') };
      await this.#persist();
      this.#emit(true);
    } finally {
      job.controller = null;
    }
  }
}
