// The one model the server answers with: which file, its public id, and the start-up load.
// The engine (EngineClient) is owned by the composition root; this only drives it.
import { basename } from 'node:path';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import type { EngineStatus, GenerateRequestInput, GenerationResult, ModelLoadSettingsInput } from '../contract/engine.ts';
import type { EngineClient, GenerateOptions } from '../engine/engineClient.ts';

export interface ServedModel {
  /** What /v1/models lists and answers carry in `model`: the file name without `.gguf`. */
  id: string;
  path: string;
  /** Unix seconds when the server picked it (OpenAI's `created`). */
  created: number;
}

export interface ModelLoadReport {
  ok: boolean;
  status?: EngineStatus;
  error?: ErrorData;
}

export class ModelService {
  readonly #engine: EngineClient;
  readonly #settings: ModelLoadSettingsInput | null;
  readonly #model: ServedModel | null;
  /** Settles (never rejects) when the start-up load is over, so requests wait for it. */
  #initialLoad: Promise<void> = Promise.resolve();

  constructor(engine: EngineClient, settings: ModelLoadSettingsInput | null) {
    this.#engine = engine;
    this.#settings = settings;
    this.#model = settings
      ? { id: basename(settings.modelPath).replace(/\.gguf$/i, ''), path: settings.modelPath, created: Math.floor(Date.now() / 1000) }
      : null;
  }

  get model(): ServedModel | null {
    return this.#model;
  }

  /** Starts loading the model in the background; `onDone` reports how it went. */
  startLoading(onDone: (report: ModelLoadReport) => void = () => undefined): void {
    if (!this.#settings) return;
    this.#initialLoad = this.#engine.load(this.#settings).then(
      (status) => onDone({ ok: true, status }),
      (err: unknown) => onDone({ ok: false, error: toErrorData(err, 'model.loadFailed') }),
    );
  }

  /**
   * Generates with the served model. After a failed start-up load the engine retries the load,
   * so the client gets the real reason (model.notFound, model.notChameleon …) with its code.
   */
  async generate(request: GenerateRequestInput, options: GenerateOptions): Promise<GenerationResult> {
    if (!this.#model) {
      throw new AppError(
        'api.noModel',
        'No model is configured. Start the server with --model <file.gguf>, or choose a model in the Chameleon Desktop app.',
      );
    }
    await this.#initialLoad;
    return this.#engine.generate(request, options);
  }
}
