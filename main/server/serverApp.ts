// Composition root of `npm run serve`: builds the services in order (settings → API key → engine
// → model → HTTP server) and disposes them in reverse (house style rule 9). The CLI and the
// integration tests both start the server through here.
import { resolve } from 'node:path';
import type { ErrorData } from '../contract/errors.ts';
import type { EngineStatus, ModelLoadSettingsInput } from '../contract/engine.ts';
import { EngineClient } from '../engine/engineClient.ts';
import { forkLauncher } from '../engine/launchers/forkLauncher.ts';
import type { HostLauncher } from '../engine/protocol.ts';
import { AppServices } from '../services/appServices.ts';
import { appVersion } from '../services/appVersion.ts';
import { readSettings } from '../settings/settingsFile.ts';
import { defaultRendererRoot, rendererRoutes } from './rendererRoutes.ts';
import { attach, type WsAttachment } from './wsServer.ts';
import type { AppSettings } from '../settings/settingsSchema.ts';
import { resolveApiKey, type ApiKey } from './apiKey.ts';
import { LocalHttpServer } from './httpServer.ts';
import { ModelService, type ServedModel } from './modelService.ts';
import { openAiRoutes, type CompletionLog } from './routes/openai.ts';
import { transcriptRoutes } from './routes/transcripts.ts';
import { serviceImageInput } from './openai/imageInput.ts';

export const DEFAULT_PORT = 11435;

export interface ServerAppOptions {
  dataDir: string;
  /** Overrides the model chosen in the settings file. */
  modelPath?: string;
  /** 0 picks a free port. */
  port: number;
  env?: NodeJS.ProcessEnv;
  /** Defaults to forking the engine host. */
  launcher?: HostLauncher;
  maxBodyBytes?: number;
  /** Lifecycle and per-request events for the CLI's console output. */
  onEvent?: (event: ServerEvent) => void;
}

export type ServerEvent =
  | { type: 'modelLoading'; path: string }
  | { type: 'modelReady'; status: EngineStatus }
  | { type: 'modelFailed'; error: ErrorData }
  | { type: 'completion'; log: CompletionLog }
  | { type: 'requestFailed'; method: string; path: string; error: ErrorData };

export class ServerApp {
  readonly settings: AppSettings;
  readonly apiKey: ApiKey;
  readonly engine: EngineClient;
  readonly models: ModelService;
  /** The chat app behind the browser UI (history, generation), on the same engine. */
  readonly app: AppServices;
  readonly #http: LocalHttpServer;
  readonly #ws: WsAttachment;
  #disposed = false;

  private constructor(settings: AppSettings, apiKey: ApiKey, engine: EngineClient, models: ModelService, app: AppServices, http: LocalHttpServer, ws: WsAttachment) {
    this.settings = settings;
    this.apiKey = apiKey;
    this.engine = engine;
    this.models = models;
    this.app = app;
    this.#http = http;
    this.#ws = ws;
  }

  static async start(options: ServerAppOptions): Promise<ServerApp> {
    const emit = options.onEvent ?? (() => undefined);
    const settings = await readSettings(options.dataDir);
    const apiKey = await resolveApiKey(options.dataDir, options.env ?? process.env);

    const engine = new EngineClient({ launcher: options.launcher ?? forkLauncher() });
    let app: AppServices | undefined;
    try {
      app = await AppServices.start({
        dataDir: options.dataDir,
        engine,
        info: { name: 'Chameleon Desktop', version: appVersion(), mode: 'browser', platform: process.platform },
      });
      // A relative path in the settings file is relative to the data dir.
      const modelPath = options.modelPath ? resolve(options.modelPath) : settings.modelPath ? resolve(options.dataDir, settings.modelPath) : null;
      const loadSettings: ModelLoadSettingsInput | null = modelPath
        ? {
            modelPath,
            gpu: settings.gpu,
            gpuLayers: settings.gpuLayers,
            contextSize: settings.contextSize,
            ...(settings.threads === undefined ? {} : { threads: settings.threads }),
          }
        : null;
      const models = new ModelService(engine, loadSettings);
      const http = new LocalHttpServer({
        apiKey: apiKey.key,
        maxBodyBytes: options.maxBodyBytes,
        routes: [...openAiRoutes({ models, sampling: settings.sampling, imageInput: serviceImageInput(app.images), onCompletion: (log) => emit({ type: 'completion', log }) }), ...transcriptRoutes({ transcripts: app.transcripts }), ...rendererRoutes(defaultRendererRoot())],
        onError: (error, req) => emit({ type: 'requestFailed', method: req.method ?? '?', path: req.url ?? '', error }),
      });
      await http.listen(options.port);
      const ws = attach(http.nodeServer, { handlers: app.handlers, apiKey: apiKey.key });
      if (loadSettings) {
        emit({ type: 'modelLoading', path: loadSettings.modelPath });
        models.startLoading((report) =>
          emit(report.ok ? { type: 'modelReady', status: report.status! } : { type: 'modelFailed', error: report.error! }),
        );
      }
      return new ServerApp(settings, apiKey, engine, models, app, http, ws);
    } catch (err) {
      await app?.dispose();
      await engine.dispose();
      throw err;
    }
  }

  get port(): number {
    return this.#http.port;
  }

  get url(): string {
    return this.#http.url;
  }

  get model(): ServedModel | null {
    return this.models.model;
  }

  /** Stops accepting requests, ends open streams, then stops the engine host. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#ws.close();
    await this.#http.dispose();
    await this.app.dispose();
    await this.engine.dispose();
  }
}
