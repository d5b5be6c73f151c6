// Composition root of the chat app (house style rule 9): settings → store → engine client →
// generation → handlers, built in that order and disposed in reverse. The Electron shell and the
// browser mode (the local server) both build the app through here; each passes its own engine
// host launcher (utilityProcess or fork), or an EngineClient it already owns.
import type { AppInfo, Handlers } from '../contract/api.ts';
import { EngineClient } from '../engine/engineClient.ts';
import type { HostLauncher } from '../engine/protocol.ts';
import { ChatStore, type ChatStoreOptions } from '../store/ChatStore.ts';
import { createAppHandlers, samplingFor } from './appHandlers.ts';
import { ChatSamplingFile } from './chatSamplingFile.ts';
import { EventHub } from './eventHub.ts';
import { GenerationService } from './generationService.ts';
import { ImageService } from './imageService.ts';
import { SettingsService } from './settingsService.ts';
import { TranscriptService } from './transcriptService.ts';
import type { PdfRenderer } from '../export/pdfTranscript.ts';
import { loadCatalog } from '../models/catalog.ts';
import { fileTokenStore, type TokenSealer } from '../models/hubToken.ts';
import { modelsConfigFromEnv, type ModelsConfig } from '../models/modelsConfig.ts';
import { ModelService } from '../models/ModelService.ts';
import { useModel } from './modelHandlers.ts';

export interface AppServicesOptions {
  dataDir: string;
  info: Omit<AppInfo, 'dataDir'>;
  /** Starts engine hosts for a new EngineClient owned (and disposed) by these services. */
  launcher?: HostLauncher;
  /** An EngineClient the caller owns (the local server shares its engine); not disposed here. */
  engine?: EngineClient;
  pickModelFile?: () => Promise<string | null>;
  pickWeightsFile?: () => Promise<string | null>;
  store?: ChatStoreOptions;
  /** Prints exported HTML to PDF (Electron: printToPDF); default headless Chromium. */
  pdf?: PdfRenderer;
  /** Native save/open dialogs for transcripts (Electron); absent in browser mode. */
  pickExportPath?: (defaultName: string) => Promise<string | null>;
  pickImportFile?: () => Promise<string | null>;
  /** Load the model named in the settings at start (the desktop app does; tests may not). */
  loadModelAtStart?: boolean;
  /** Delta coalescing interval (default one 60 Hz frame). */
  frameMs?: number;
  /** Catalog file and Hub endpoint (default: the shipped catalog, huggingface.co or HF_ENDPOINT). */
  models?: ModelsConfig;
  /** Shows a folder in the file manager (Electron: shell.openPath); absent in browser mode. */
  openFolder?: (path: string) => Promise<void>;
  /** Seals the Hub token with the OS keychain (Electron safeStorage); absent: a 0600 file. */
  tokenSealer?: TokenSealer;
}

export class AppServices {
  readonly events: EventHub;
  readonly settings: SettingsService;
  readonly store: ChatStore;
  readonly engine: EngineClient;
  readonly generation: GenerationService;
  readonly images: ImageService;
  readonly transcripts: TranscriptService;
  readonly models: ModelService;
  readonly handlers: Handlers;
  readonly #ownsEngine: boolean;
  readonly #unsubscribeEngine: () => void;
  #disposed = false;

  private constructor(parts: {
    events: EventHub;
    settings: SettingsService;
    store: ChatStore;
    engine: EngineClient;
    ownsEngine: boolean;
    generation: GenerationService;
    images: ImageService;
    transcripts: TranscriptService;
    models: ModelService;
    handlers: Handlers;
    unsubscribeEngine: () => void;
  }) {
    this.models = parts.models;
    this.images = parts.images;
    this.transcripts = parts.transcripts;
    this.events = parts.events;
    this.settings = parts.settings;
    this.store = parts.store;
    this.engine = parts.engine;
    this.#ownsEngine = parts.ownsEngine;
    this.generation = parts.generation;
    this.handlers = parts.handlers;
    this.#unsubscribeEngine = parts.unsubscribeEngine;
  }

  static async start(options: AppServicesOptions): Promise<AppServices> {
    if (!options.engine && !options.launcher) throw new TypeError('AppServices needs an engine or a launcher');
    const events = new EventHub();
    const settings = await SettingsService.open(options.dataDir, events);
    const chatSampling = new ChatSamplingFile(options.dataDir);
    const store = ChatStore.open(options.dataDir, options.store);
    const ownsEngine = !options.engine;
    const engine = options.engine ?? new EngineClient({ launcher: options.launcher! });
    const unsubscribeEngine = engine.onStatus((status) => events.emit('model.stateChanged', status));
    const images = new ImageService({ images: store.images, engine, weightsPath: () => settings.get().vqganWeightsPath });
    const generation = new GenerationService({
      store,
      engine,
      images,
      samplingFor: (id) => samplingFor(settings.get(), chatSampling, id),
      onChanged: (conversationId) => events.emit('chats.changed', { reason: 'messages', conversationId }),
      ...(options.frameMs === undefined ? {} : { frameMs: options.frameMs }),
    });
    const transcripts = new TranscriptService({ store, events, app: { name: options.info.name, version: options.info.version }, ...(options.pdf ? { pdf: options.pdf } : {}) });
    const modelsConfig = options.models ?? modelsConfigFromEnv();
    const tokens = fileTokenStore(options.dataDir, options.tokenSealer);
    // A finished download is put to use at once (late-bound: the handlers are built below).
    const late: { handlers?: Handlers } = {};
    const models = await ModelService.open({
      dataDir: options.dataDir,
      catalog: await loadCatalog(modelsConfig.catalogPath),
      endpoint: modelsConfig.endpoint,
      tokens,
      inUse: () => [settings.get().modelPath, settings.get().vqganWeightsPath, engine.getStatus().model?.path].filter((p): p is string => !!p),
      onChanged: (snapshot) => events.emit('models.changed', snapshot),
      onInstalled: async (model) => {
        if (!late.handlers) return;
        const commands = late.handlers.commands;
        await useModel({ loadModel: (modelPath) => commands['model.load']({ modelPath }), setVqganWeights: (vqganWeightsPath) => commands['settings.set']({ ...settings.get(), vqganWeightsPath }) }, model).catch(() => undefined);
      },
    });
    const handlers = createAppHandlers({
      info: { ...options.info, dataDir: options.dataDir },
      store,
      engine,
      settings,
      chatSampling,
      generation,
      events,
      images,
      transcripts: {
        transcripts,
        ...(options.pickExportPath ? { pickExportPath: options.pickExportPath } : {}),
        ...(options.pickImportFile ? { pickImportFile: options.pickImportFile } : {}),
      },
      ...(options.pickModelFile ? { pickModelFile: options.pickModelFile } : {}),
      ...(options.pickWeightsFile ? { pickWeightsFile: options.pickWeightsFile } : {}),
      models: { models, endpoint: modelsConfig.endpoint, token: () => tokens.get(), ...(options.openFolder ? { openFolder: options.openFolder } : {}) },
    });
    late.handlers = handlers;
    const services = new AppServices({ events, settings, store, engine, ownsEngine, generation, images, transcripts, models, handlers, unsubscribeEngine });
    const modelPath = settings.get().modelPath;
    if (options.loadModelAtStart && modelPath && engine.getStatus().state === 'empty') {
      // A failed start-up load is reported through model.stateChanged; the UI shows it.
      void Promise.resolve()
        .then(() => handlers.commands['model.load']({ modelPath }))
        .catch(() => undefined);
    }
    return services;
  }

  /** Reverse order: stop answers (their text is kept), close the engine, then the history. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // A running download stops with its partial file kept; it resumes at the next start.
    await this.models.dispose();
    this.generation.stopAll();
    // Let stopped answers store their text as 'stopped' before the engine and the store close.
    await this.generation.idle(3000);
    this.#unsubscribeEngine();
    if (this.#ownsEngine) await this.engine.dispose();
    this.store.dispose();
    this.events.clear();
  }
}
