// `npm run serve`: the app's services (AppServices, the one composition root) plus the HTTP API
// key, the OpenAI-compatible routes, the transcript routes, the browser UI's files and its
// WebSocket. Nothing here owns a model, settings or history of its own: the routes read the same
// live state the browser UI changes. The CLI and the integration tests both start it through here.
import { resolve } from 'node:path';
import type { EngineStatus } from '../contract/engine.ts';
import type { ErrorData } from '../contract/errors.ts';
import type { RequestLogEntry } from '../contract/api.ts';
import { SESSION_PATH } from '../contract/wire.ts';
import { forkLauncher } from '../engine/launchers/forkLauncher.ts';
import type { HostLauncher } from '../engine/protocol.ts';
import { AppServices } from '../services/appServices.ts';
import { appVersion } from '../services/appVersion.ts';
import type { ServedModel } from '../services/modelState.ts';
import { resolveApiKey, type ApiKey } from './apiKey.ts';
import { LocalHttpServer } from './httpServer.ts';
import { serviceImageInput } from './openai/imageInput.ts';
import { serviceImageOutput } from './openai/imageOutput.ts';
import { defaultRendererRoot, rendererRoutes } from './rendererRoutes.ts';
import { openAiRoutes, type CompletionLog } from './routes/openai.ts';
import { transcriptRoutes } from './routes/transcripts.ts';
import { attach, type WsAttachment } from './wsServer.ts';

export const DEFAULT_PORT = 11435;

export interface ServerAppOptions {
  dataDir: string;
  /** Load this model instead of the settings' one (it then becomes the settings' model). */
  modelPath?: string;
  /** Folders whose models and weights the browser UI may open (--models-dir), besides <dataDir>/models. */
  modelDirs?: readonly string[];
  /** 0 picks a free port. */
  port: number;
  /** A damaged history is moved aside and the newest good backup restored (--recover-history). */
  recoverHistory?: boolean;
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
  readonly apiKey: ApiKey;
  /** The chat app behind the browser UI and the API: settings, history, engine, model. */
  readonly app: AppServices;
  /** The model loaded at start (--model or the settings'), null when none was chosen. */
  readonly startupModelPath: string | null;
  readonly #http: LocalHttpServer;
  readonly #ws: WsAttachment;
  #disposed = false;

  private constructor(apiKey: ApiKey, app: AppServices, http: LocalHttpServer, ws: WsAttachment, startupModelPath: string | null) {
    this.apiKey = apiKey;
    this.startupModelPath = startupModelPath;
    this.app = app;
    this.#http = http;
    this.#ws = ws;
  }

  static async start(options: ServerAppOptions): Promise<ServerApp> {
    const emit = options.onEvent ?? (() => undefined);
    const apiKey = await resolveApiKey(options.dataDir, options.env ?? process.env);
    const modelPath = options.modelPath ? resolve(options.modelPath) : undefined;
    const app = await AppServices.start({
      dataDir: options.dataDir,
      launcher: options.launcher ?? forkLauncher(),
      info: { name: 'Chameleon Desktop', version: appVersion(), mode: 'browser', platform: process.platform },
      loadModelAtStart: true,
      ...(modelPath ? { modelPath } : {}),
      ...(options.modelDirs ? { modelDirs: options.modelDirs.map((d) => resolve(d)) } : {}),
      ...(options.recoverHistory ? { recoverHistory: true } : {}),
    });
    const startPath = modelPath ?? app.settings.get().modelPath;
    const startupModelPath = startPath ? app.model.loadRequest({ modelPath: startPath }).modelPath : null;
    try {
      const http = new LocalHttpServer({
        apiKey: apiKey.key,
        maxBodyBytes: options.maxBodyBytes,
        routes: [
          ...openAiRoutes({
            model: app.model,
            sampling: () => app.settings.get().sampling,
            imageInput: serviceImageInput(app.images),
            imageOutput: serviceImageOutput(app.images),
            onCompletion: (log) => emit({ type: 'completion', log }),
          }),
          ...transcriptRoutes({ transcripts: app.transcripts }),
          // Behind the key like every API route: 204 tells the page its key is right (see wire.ts).
          { method: 'GET', path: SESSION_PATH, handle: ({ res }) => void res.writeHead(204).end() },
          ...rendererRoutes(defaultRendererRoot()),
        ],
        onError: (error, { method, path }) => emit({ type: 'requestFailed', method, path, error }),
        ...(app.requests ? { onRequest: (entry: RequestLogEntry) => app.requests?.add(entry) } : {}),
      });
      await http.listen(options.port);
      const ws = attach(http.nodeServer, { handlers: app.handlers, apiKey: apiKey.key });
      if (startupModelPath) emit({ type: 'modelLoading', path: startupModelPath });
      void app.startupLoad.then((report) => {
        if (report) emit(report.ok ? { type: 'modelReady', status: report.status! } : { type: 'modelFailed', error: report.error! });
      });
      return new ServerApp(apiKey, app, http, ws, startupModelPath);
    } catch (err) {
      await app.dispose();
      throw err;
    }
  }

  get port(): number {
    return this.#http.port;
  }

  get url(): string {
    return this.#http.url;
  }

  /** The model the API answers with now (null while none is loaded). */
  get model(): ServedModel | null {
    return this.app.model.served;
  }

  /** Stops accepting requests, ends open streams, then the app's services (engine host included). */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#ws.close();
    await this.#http.dispose();
    await this.app.dispose();
  }
}
