// The model the app runs, with one owner for both shells: the UI's Settings, the browser mode's
// WebSocket, `/v1/models` and `/v1/chat/completions` all read this live state, so a model loaded
// from anywhere is the model everything serves. The load request (the settings' choices under the
// caller's overrides, paths resolved) is built here and nowhere else.
import { basename, isAbsolute, resolve } from 'node:path';
import type { CommandArgs } from '../contract/api.ts';
import type { EngineStatus, GenerateRequestInput, GenerationResult, ModelLoadSettingsInput } from '../contract/engine.ts';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import type { GenerateOptions, LoadOptions } from '../engine/engineClient.ts';
import type { EventHub } from './eventHub.ts';
import type { SettingsService } from './settingsService.ts';

/** The slice of EngineClient the model state drives. */
export interface ModelEngine {
  load(input: ModelLoadSettingsInput, options?: LoadOptions): Promise<EngineStatus>;
  unload(): Promise<EngineStatus>;
  getStatus(): EngineStatus;
  generate(request: GenerateRequestInput, options?: GenerateOptions): Promise<GenerationResult>;
  /** The model a remote engine serves while one is active (the API fronts it then); else null. */
  servedRemotely?(): ServedModel | null;
}

/** What a caller asks to load: a file, and any of the settings' load choices to override. */
export type ModelLoadInput = CommandArgs<'model.load'>;

export interface ServedModel {
  /** What /v1/models lists and answers carry in `model`: the file name without `.gguf`. */
  id: string;
  path: string;
  /** Unix seconds when this model was asked for (OpenAI's `created`). */
  created: number;
}

export interface ModelLoadReport {
  ok: boolean;
  status?: EngineStatus;
  error?: ErrorData;
}

export interface ModelStateOptions {
  engine: ModelEngine;
  settings: SettingsService;
  events: EventHub;
  /** Relative paths in the settings file are relative to the data folder. */
  dataDir: string;
}

export class ModelState {
  readonly #o: ModelStateOptions;
  #loading: AbortController | null = null;
  /** Settles (never rejects) when the current load is over, so API requests wait for it. */
  #pendingLoad: Promise<unknown> = Promise.resolve();
  #lastFailure: ErrorData | null = null;
  #served: ServedModel | null = null;

  constructor(options: ModelStateOptions) {
    this.#o = options;
  }

  /** The settings' load choices under the caller's overrides: the one place a load request is built. */
  loadRequest(input: ModelLoadInput): ModelLoadSettingsInput {
    const current = this.#o.settings.get();
    const modelPath = isAbsolute(input.modelPath) ? input.modelPath : resolve(this.#o.dataDir, input.modelPath);
    return {
      gpu: current.gpu,
      gpuLayers: current.gpuLayers,
      contextSize: current.contextSize,
      ...(current.threads === undefined ? {} : { threads: current.threads }),
      ...input,
      modelPath,
    };
  }

  /**
   * Loads a model (a load in progress is cancelled). Progress goes out as model.stateChanged. The
   * model that loaded is the one to open next time, so it becomes the settings' model.
   */
  async load(input: ModelLoadInput): Promise<EngineStatus> {
    this.#loading?.abort();
    const controller = new AbortController();
    this.#loading = controller;
    const request = this.loadRequest(input);
    const run = this.#o.engine.load(request, {
      signal: controller.signal,
      onProgress: (progress) => this.#o.events.emit('model.stateChanged', { ...this.#o.engine.getStatus(), state: 'loading', loadProgress: progress }),
    });
    this.#pendingLoad = run.catch(() => undefined);
    try {
      const status = await run;
      this.#lastFailure = null;
      this.#served = { id: basename(request.modelPath).replace(/\.gguf$/i, ''), path: request.modelPath, created: Math.floor(Date.now() / 1000) };
      if (this.#o.settings.get().modelPath !== input.modelPath) await this.#o.settings.set({ ...this.#o.settings.get(), modelPath: input.modelPath });
      return status;
    } catch (err) {
      this.#lastFailure = toErrorData(err, 'model.loadFailed');
      throw err;
    } finally {
      if (this.#loading === controller) this.#loading = null;
    }
  }

  /** Loads `override` (the server's --model) or the settings' model; never rejects. */
  async loadAtStart(override?: string): Promise<ModelLoadReport | null> {
    const modelPath = override ?? this.#o.settings.get().modelPath;
    if (!modelPath) return null;
    try {
      return { ok: true, status: await this.load({ modelPath }) };
    } catch (err) {
      return { ok: false, error: toErrorData(err, 'model.loadFailed') };
    }
  }

  cancelLoad(): void {
    this.#loading?.abort();
  }

  async unload(): Promise<EngineStatus> {
    this.#served = null;
    return this.#o.engine.unload();
  }

  status(): EngineStatus {
    return this.#o.engine.getStatus();
  }

  /** The model answering now (a crashed host reloads it on the next request); null when none is. */
  get served(): ServedModel | null {
    const remote = this.#o.engine.servedRemotely?.();
    if (remote) return remote;
    const { state, settings } = this.#o.engine.getStatus();
    if (!this.#served || (state !== 'ready' && state !== 'crashed') || settings?.modelPath !== this.#served.path) return null;
    return this.#served;
  }

  /** Resolves when no load is in progress (never rejects): API requests wait for the model. */
  settled(): Promise<unknown> {
    return this.#pendingLoad;
  }

  /** Generates for an API client: waits for a load in progress; without a model, says why. */
  async generate(request: GenerateRequestInput, options: GenerateOptions): Promise<GenerationResult> {
    await this.settled();
    if (!this.served) {
      // After a failed load the client gets that failure's code (model.notFound …), which says what to fix.
      const failure = this.#lastFailure;
      if (failure) throw new AppError(failure.code, `No model is loaded: ${failure.message}`, failure.details);
      throw new AppError('api.noModel', 'No model is loaded. Start the server with --model <file.gguf>, or choose a model in Settings.');
    }
    return this.#o.engine.generate(request, options);
  }
}
