// GGUFs the app writes: "make image-capable" (the image-alias transform of an installed GGUF with
// Anole's head) and "convert a checkpoint" (HF safetensors → GGUF → llama.cpp's quantizer). One runs
// at a time, in main, outliving the window; progress is published through the models snapshot; the result is
// installed like a finished download. A cancelled or failed run leaves nothing on disk.
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError, toErrorData } from '../contract/errors.ts';
import { imageCapableId, type ConvertQuant, type InstalledModel, type TransformStatus } from '../contract/models.ts';
import { convertedId, runConvertJob } from './convert/convertJob.ts';
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
    const status: TransformStatus = { id: imageCapableId(source.id), kind: 'imageAliases', sourceId: source.id, name: `${source.name} (image-capable)`, state: 'running', done: 0, total: source.bytes };
    return this.#launch(status, (job, dir) => this.#imageAliases(job, dir, source, headPath));
  }

  /** Starts converting the HF checkpoint in `checkpointDir` (checked as chosen by the user) to a `quant` GGUF. */
  startConvert(checkpointDir: string, quant: ConvertQuant): TransformStatus {
    const status: TransformStatus = { id: convertedId(checkpointDir, quant), kind: 'convert', name: `${basename(checkpointDir)} ${quant}`, state: 'running', done: 0, total: 0 };
    return this.#launch(status, (job, dir) =>
      runConvertJob(checkpointDir, quant, job.status.id, {
        dir,
        signal: job.controller.signal,
        onProgress: (done, total) => this.#progress(job, done, total),
        onQuantizing: () => {
          job.status = { ...job.status, state: 'quantizing' };
          this.#o.onChanged(true);
        },
      }),
    );
  }

  /** One at a time: they are disk-bound, two would only share the disk. */
  #launch(status: TransformStatus, work: (job: Job, dir: string) => Promise<InstalledModel>): TransformStatus {
    const existing = this.#jobs.get(status.id);
    if (existing && existing.status.state !== 'failed') return { ...existing.status };
    if ([...this.#jobs.values()].some((j) => j.status.state !== 'failed')) {
      throw new AppError('models.inUse', 'Another model is being written; wait for it or cancel it first.', { id: status.id });
    }
    const job: Job = { status, controller: new AbortController(), done: Promise.resolve() };
    this.#jobs.set(status.id, job);
    job.done = this.#run(job, work);
    this.#o.onChanged(true);
    return { ...status };
  }

  #progress(job: Job, done: number, total: number): void {
    job.status = { ...job.status, done, total };
    this.#o.onChanged(false);
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

  async #run(job: Job, work: (job: Job, dir: string) => Promise<InstalledModel>): Promise<void> {
    const dir = join(this.#o.modelsDir, job.status.id);
    try {
      await mkdir(dir, { recursive: true });
      const model = await work(job, dir);
      this.#jobs.delete(job.status.id);
      await this.#o.install(model);
    } catch (err) {
      if (!job.controller.signal.aborted) {
        job.status = { ...job.status, state: 'failed', error: toErrorData(err, 'internal') };
        this.#o.onChanged(true);
      }
      // the partial is gone already; the folder goes too unless something else is in it
      await rmdir(dir).catch(() => undefined);
    }
  }

  async #imageAliases(job: Job, dir: string, source: InstalledModel, headPath: string | undefined): Promise<InstalledModel> {
    const target = join(dir, `${basename(source.path).replace(/\.gguf$/i, '')}.images.gguf`);
    const head = headPath ? await openImageHead(headPath) : undefined;
    try {
      await makeImageCapableGguf({ source: source.path, target, ...(head ? { head } : {}), signal: job.controller.signal, onProgress: (d, t) => this.#progress(job, d, t) });
    } finally {
      await head?.close().catch(() => undefined);
    }
    return {
      id: job.status.id,
      name: job.status.name,
      kind: 'gguf',
      path: target,
      bytes: (await stat(target)).size,
      ...(source.quant ? { quant: source.quant } : {}),
      enables: [...new Set([...source.enables, 'imagesOut' as const])],
      linked: false,
      addedAt: Date.now(),
    };
  }
}
