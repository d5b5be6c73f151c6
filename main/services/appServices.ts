// The one composition root (house style rule 9): data-folder lock → settings → store → engine →
// model → images → generation → transcripts → handlers, built in that order and disposed in
// reverse. Every shell is these services plus its transport and nothing more: the Electron app adds
// IPC, `npm run serve` adds the HTTP routes and the WebSocket. So the model, the settings and the
// history that the UI, the browser mode and the OpenAI API see are one and the same.
import type { AppInfo, Handlers } from '../contract/api.ts';
import { EngineClient } from '../engine/engineClient.ts';
import type { HostLauncher } from '../engine/protocol.ts';
import type { PdfRenderer } from '../export/pdfTranscript.ts';
import { join } from 'node:path';
import { MODELS_DIR_NAME } from '../platform/dataDir.ts';
import { lockDataDir, type DataDirLock } from '../platform/dataDirLock.ts';
import { ChatStore, type ChatStoreOptions } from '../store/ChatStore.ts';
import { createAppHandlers, samplingFor } from './appHandlers.ts';
import { RequestLog } from './requestLog.ts';
import { EventHub } from './eventHub.ts';
import { FileAccess } from './fileAccess.ts';
import { GenerationService } from './generationService.ts';
import { ImageService } from './imageService.ts';
import { ModelState, type ModelLoadReport } from './modelState.ts';
import { SettingsService } from './settingsService.ts';
import { TranscriptService } from './transcriptService.ts';
import { loadCatalog } from '../models/catalog.ts';
import { fileTokenStore, type TokenSealer } from '../models/hubToken.ts';
import { modelsConfigFromEnv, type ModelsConfig } from '../models/modelsConfig.ts';
import { ModelLibrary } from '../models/ModelLibrary.ts';
import { useModel } from './modelHandlers.ts';
import { EngineRouter } from './engineRouter.ts';

export interface AppServicesOptions {
  dataDir: string;
  info: Omit<AppInfo, 'dataDir'>;
  /** Starts engine hosts (utilityProcess in the app, fork in the server and tests). */
  launcher: HostLauncher;
  pickModelFile?: () => Promise<string | null>;
  pickWeightsFile?: () => Promise<string | null>;
  /** The native open dialog for Anole's image head (Electron). */
  pickHeadFile?: () => Promise<string | null>;
  /** The native folder dialog for an HF checkpoint to convert (Electron). */
  pickCheckpointFolder?: () => Promise<string | null>;
  store?: ChatStoreOptions;
  /** Prints exported HTML to PDF (Electron: printToPDF); default headless Chromium. */
  pdf?: PdfRenderer;
  /** Native save/open dialogs for transcripts (Electron); absent in browser mode. */
  pickExportPath?: (defaultName: string) => Promise<string | null>;
  pickImportFile?: () => Promise<string | null>;
  /** Load a model at start: the settings' model, or `modelPath` when given (the server's --model). */
  loadModelAtStart?: boolean;
  modelPath?: string;
  /** More folders whose models and weights may be opened (the server's --models-dir), after <dataDir>/models. */
  modelDirs?: readonly string[];
  /** Delta coalescing interval (default one 60 Hz frame). */
  frameMs?: number;
  /** Start on a recovered history when the file is damaged (the damaged file is kept, renamed). */
  recoverHistory?: boolean;
  /** Hourly housekeeping: image garbage collection and the daily online backup (default on). */
  backups?: boolean;
  /** Catalog file and Hub endpoint (default: the shipped catalog, huggingface.co or HF_ENDPOINT). */
  models?: ModelsConfig;
  /** Shows a folder in the file manager (Electron: shell.openPath); absent in browser mode. */
  openFolder?: (path: string) => Promise<void>;
  /** Seals the Hub token with the OS keychain (Electron safeStorage); absent: a 0600 file. */
  tokenSealer?: TokenSealer;
}

/** How often the app looks whether the daily history backup is due. */
const BACKUP_CHECK_MS = 60 * 60 * 1000;

export class AppServices {
  readonly dataDir: string;
  readonly events: EventHub;
  readonly settings: SettingsService;
  readonly store: ChatStore;
  readonly engine: EngineClient;
  /** Which engine answers: the local host or a remote engine (llama-server, vLLM). */
  readonly engines: EngineRouter;
  /** The model the app runs (loads, what the API serves). */
  readonly model: ModelState;
  readonly generation: GenerationService;
  readonly images: ImageService;
  readonly transcripts: TranscriptService;
  /** The model files: catalog, downloads, installed models. */
  readonly models: ModelLibrary;
  readonly handlers: Handlers;
  /** The local API server's last requests (browser mode: the server runs in this process). */
  readonly requests: RequestLog | undefined;
  /** The start-up load (null when none was asked for or no model is chosen); never rejects. */
  readonly startupLoad: Promise<ModelLoadReport | null>;
  readonly #lock: DataDirLock;
  readonly #unsubscribeEngine: () => void;
  #disposed = false;

  private constructor(parts: Omit<AppServices, 'dispose' | 'startupLoad'> & { lock: DataDirLock; unsubscribeEngine: () => void; options: AppServicesOptions }) {
    this.dataDir = parts.dataDir;
    this.events = parts.events;
    this.settings = parts.settings;
    this.store = parts.store;
    this.engine = parts.engine;
    this.engines = parts.engines;
    this.model = parts.model;
    this.generation = parts.generation;
    this.images = parts.images;
    this.transcripts = parts.transcripts;
    this.models = parts.models;
    this.handlers = parts.handlers;
    this.requests = parts.requests;
    this.#lock = parts.lock;
    this.#unsubscribeEngine = parts.unsubscribeEngine;
    const { loadModelAtStart, modelPath } = parts.options;
    this.startupLoad = loadModelAtStart ? this.model.loadAtStart(modelPath) : Promise.resolve(null);
    if (parts.options.backups !== false) {
      this.#housekeeping();
      this.#backupTimer = setInterval(() => this.#housekeeping(), BACKUP_CHECK_MS);
      this.#backupTimer.unref();
    }
  }

  /** The running (or last) backup; dispose waits for it before closing the history. */
  #backup: Promise<unknown> = Promise.resolve();
  #backupTimer: ReturnType<typeof setInterval> | undefined;

  /** Hourly: unreferenced images and long-deleted chats go, and the daily backup is taken when due. */
  #housekeeping(): void {
    if (this.#disposed) return;
    try {
      this.store.collectGarbage();
    } catch {
      // A busy or read-only disk: the next hour tries again.
    }
    if (!this.store.backupDue()) return;
    // A failed backup (disk full …) must not stop the app; the next check tries again.
    this.#backup = this.#backup.then(() => this.store.backup()).catch(() => undefined);
  }

  static async start(options: AppServicesOptions): Promise<AppServices> {
    const { dataDir } = options;
    const lock = lockDataDir(dataDir, options.info.mode === 'electron' ? options.info.name : `${options.info.name} server (npm run serve)`);
    const undo: (() => unknown)[] = [() => lock.release()];
    try {
      const events = new EventHub();
      const settings = await SettingsService.open(dataDir, events);
      const store = ChatStore.open(dataDir, { ...options.store, ...(options.recoverHistory ? { recover: true } : {}) });
      undo.push(() => store.dispose());
      const engine = new EngineClient({ launcher: options.launcher });
      undo.push(() => engine.dispose());
      // The UI's model status is the answering engine's: the local host's, or the remote connection's.
      const engines = await EngineRouter.open({
        local: engine,
        dataDir,
        ...(options.tokenSealer ? { sealer: options.tokenSealer } : {}),
        onChanged: (snapshot) => events.emit('engines.changed', snapshot),
        onStatus: (status) => events.emit('model.stateChanged', status),
      });
      undo.push(() => engines.dispose());
      const unsubscribeEngine = (): void => engines.dispose();
      const model = new ModelState({ engine: engines, settings, events, dataDir });
      let installedPaths: () => string[] = () => [];
      const files = new FileAccess({
        dataDir,
        modelDirs: [join(dataDir, MODELS_DIR_NAME), ...(options.modelDirs ?? [])],
        // The settings', the server's --model and the models list's files (downloaded or imported) are the user's choices.
        configured: (purpose) => [...(purpose === 'model' ? [settings.get().modelPath, options.modelPath] : [settings.get().vqganWeightsPath]), ...installedPaths()],
        dialogs: options.info.mode === 'electron',
      });
      const images = new ImageService({ images: store.images, engine, weightsPath: () => settings.get().vqganWeightsPath, model: () => engine.getStatus().model });
      const generation = new GenerationService({
        store,
        engine: engines,
        images,
        samplingFor: (id) => samplingFor(settings.get(), store.getConversation(id)),
        onChanged: (conversationId) => events.emit('chats.changed', { reason: 'messages', conversationId }),
        ...(options.frameMs === undefined ? {} : { frameMs: options.frameMs }),
      });
      const transcripts = new TranscriptService({ store, events, app: { name: options.info.name, version: options.info.version }, ...(options.pdf ? { pdf: options.pdf } : {}) });
      const modelsConfig = options.models ?? modelsConfigFromEnv();
      const tokens = fileTokenStore(dataDir, options.tokenSealer);
      // A finished download is put to use at once (late-bound: the handlers are built below).
      const late: { handlers?: Handlers } = {};
      const models = await ModelLibrary.open({
        dataDir,
        catalog: await loadCatalog(modelsConfig.catalogPath),
        endpoint: modelsConfig.endpoint,
        tokens,
        inUse: () => [settings.get().modelPath, settings.get().vqganWeightsPath, engine.getStatus().model?.path].filter((p): p is string => !!p),
        onChanged: (snapshot) => events.emit('models.changed', snapshot),
        onInstalled: async (installed) => {
          if (!late.handlers) return;
          const commands = late.handlers.commands;
          await useModel({ loadModel: (modelPath) => commands['model.load']({ modelPath }), setVqganWeights: (vqganWeightsPath) => commands['settings.set']({ ...settings.get(), vqganWeightsPath }) }, installed).catch(() => undefined);
        },
      });
      undo.push(() => models.dispose());
      installedPaths = () => models.snapshot().installed.map((m) => m.path);
      const requests = options.info.mode === 'browser' ? new RequestLog() : undefined;
      const handlers = createAppHandlers({
        ...(requests ? { requests } : {}),
        info: { ...options.info, dataDir },
        store,
        model,
        files,
        settings,
        generation,
        events,
        images,
        transcripts: {
          transcripts,
          files,
          ...(options.pickExportPath ? { pickExportPath: options.pickExportPath } : {}),
          ...(options.pickImportFile ? { pickImportFile: options.pickImportFile } : {}),
        },
        ...(options.pickModelFile ? { pickModelFile: options.pickModelFile } : {}),
        ...(options.pickWeightsFile ? { pickWeightsFile: options.pickWeightsFile } : {}),
        models: {
          models,
          endpoint: modelsConfig.endpoint,
          token: () => tokens.get(),
          ...(options.openFolder ? { openFolder: options.openFolder } : {}),
          ...(options.pickHeadFile ? { pickHeadFile: options.pickHeadFile } : {}),
          ...(options.pickCheckpointFolder ? { pickCheckpointFolder: options.pickCheckpointFolder } : {}),
        },
        engines,
      });
      late.handlers = handlers;
      return new AppServices({ dataDir, events, settings, store, engine, engines, model, models, generation, images, transcripts, handlers, requests, lock, unsubscribeEngine, options });
    } catch (err) {
      for (const step of undo.reverse()) await step();
      throw err;
    }
  }

  /** Reverse order: stop answers (their text is kept), close the engine, the history, then the lock. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // A running download stops with its partial file kept; it resumes at the next start.
    await this.models.dispose();
    this.generation.stopAll();
    // Let stopped answers store their text as 'stopped' before the engine and the store close.
    await this.generation.idle(3000);
    this.#unsubscribeEngine();
    clearInterval(this.#backupTimer);
    await this.engine.dispose();
    await this.#backup;
    this.store.dispose();
    this.events.clear();
    this.#lock.release();
  }
}
