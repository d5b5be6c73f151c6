// GGUFs the app writes from installed ones — today "make image-capable" (the image-alias transform
// with Anole's head). One runs at a time (they are disk-bound; two would only share the disk), in
// main, outliving the window; progress is published through the models snapshot; the result is
// installed like a finished download. A cancelled or failed run leaves nothing on disk.
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError, toErrorData } from '../contract/errors.ts';
import { imageCapableId, type InstalledModel, type TransformStatus } from '../contract/models.ts';
import { openImageHead } from './gguf/imageHead.ts';
import { makeImageCapableGguf } from './gguf/makeImageCapableGguf.ts';

export interface TransformJobsOptions {
  modelsDir: string;
  /** A change worth showing; `force` for state changes (progress is throttled by the caller). */
  onChanged(force: boolean): void;
  install(model: InstalledModel): Promise<void>;
}

interface Job {
  status: TransformStatus;
  controller: AbortController;
  done: Promise<void>;
}

export class TransformJobs {
  readonly #o: TransformJobsOptions;
  readonly #jobs = new Map<string, Job>();

  constructor(options: TransformJobsOptions) {
    this.#o = options;
  }

  list(): TransformStatus[] {
    return [...this.#jobs.values()].map((j) => ({ ...j.status }));
  }

  /** Starts writing the image-capable copy of `source`; `headPath` is a file already checked as chosen by the user. */
  start(source: InstalledModel, headPath: string | undefined): TransformStatus {
    if (source.kind !== 'gguf') throw new AppError('models.wrongFile', `${source.name} is not a GGUF.`, { id: source.id });
    const id = imageCapableId(source.id);
    const existing = this.#jobs.get(id);
    if (existing?.status.state === 'running') return { ...existing.status };
    if ([...this.#jobs.values()].some((j) => j.status.state === 'running')) {
      throw new AppError('models.inUse', 'Another model is being made image-capable; wait for it or cancel it first.', { id });
    }
    const controller = new AbortController();
    const status: TransformStatus = { id, kind: 'imageAliases', sourceId: source.id, state: 'running', done: 0, total: source.bytes };
    const job: Job = { status, controller, done: Promise.resolve() };
    this.#jobs.set(id, job);
    job.done = this.#run(job, source, headPath);
    this.#o.onChanged(true);
    return { ...status };
  }

  /** Stops a running transform (its partial is deleted) or forgets a failed one. */
  async cancel(id: string): Promise<void> {
    const job = this.#jobs.get(id);
    if (!job) throw new AppError('models.notInstalled', `No model is being made image-capable as "${id}".`, { id });
    job.controller.abort();
    await job.done;
    this.#jobs.delete(id);
    this.#o.onChanged(true);
  }

  async dispose(): Promise<void> {
    for (const job of this.#jobs.values()) job.controller.abort();
    await Promise.all([...this.#jobs.values()].map((j) => j.done));
  }

  async #run(job: Job, source: InstalledModel, headPath: string | undefined): Promise<void> {
    const dir = join(this.#o.modelsDir, job.status.id);
    const target = join(dir, `${basename(source.path).replace(/\.gguf$/i, '')}.images.gguf`);
    const head = headPath ? await openImageHead(headPath).catch((err: unknown) => err as Error) : undefined;
    try {
      if (head instanceof Error) throw head;
      await mkdir(dir, { recursive: true });
      await makeImageCapableGguf({
        source: source.path,
        target,
        ...(head ? { head } : {}),
        signal: job.controller.signal,
        onProgress: (done, total) => {
          job.status = { ...job.status, done, total };
          this.#o.onChanged(false);
        },
      });
      const model: InstalledModel = {
        id: job.status.id,
        name: `${source.name} (image-capable)`,
        kind: 'gguf',
        path: target,
        bytes: (await stat(target)).size,
        ...(source.quant ? { quant: source.quant } : {}),
        enables: [...new Set([...source.enables, 'imagesOut' as const])],
        linked: false,
        addedAt: Date.now(),
      };
      this.#jobs.delete(job.status.id);
      await this.#o.install(model);
    } catch (err) {
      if (!job.controller.signal.aborted) {
        job.status = { ...job.status, state: 'failed', error: toErrorData(err, 'internal') };
        this.#o.onChanged(true);
      }
      // the partial is gone already; the folder goes too unless something else is in it
      await rmdir(dir).catch(() => undefined);
    } finally {
      if (head && !(head instanceof Error)) await head.close().catch(() => undefined);
    }
  }
}
