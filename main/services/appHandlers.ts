// The app's implementation of api.ts on the real ChatStore, EngineClient and settings file. The
// `Handlers` annotation makes the compiler check every command and stream against the contract.
import { expandHome } from '../platform/expandHome.ts';
import type { AppInfo, Handlers, Settings } from '../contract/api.ts';
import type { ConversationSummary } from '../contract/chat.ts';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { SamplingSettingsInput } from '../contract/engine.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { EventHub } from './eventHub.ts';
import type { GenerationService } from './generationService.ts';
import type { SettingsService } from './settingsService.ts';
import type { ImageService } from './imageService.ts';
import type { FileAccess } from './fileAccess.ts';
import type { ModelState } from './modelState.ts';
import { checkVqganWeights } from '../images/vqgan/weights/loadWeights.ts';
import { transcriptCommands, transcriptStreams, type TranscriptHandlerDeps } from './transcriptHandlers.ts';
import { modelCommands, type ModelHandlerDeps } from './modelHandlers.ts';
import { chatEditCommands } from './chatEditHandlers.ts';
import type { RequestLog } from './requestLog.ts';
import { engineCommands } from './engineHandlers.ts';
import type { EngineRouter } from './engineRouter.ts';

export interface AppHandlerDeps {
  info: AppInfo;
  store: ChatStore;
  model: ModelState;
  /** Which files the page may name (house style: paths are capabilities). */
  files: FileAccess;
  settings: SettingsService;
  generation: GenerationService;
  events: EventHub;
  /** The native open dialog (Electron); absent in browser mode. */
  pickModelFile?: () => Promise<string | null>;
  /** The native open dialog for the VQ-GAN weights (Electron); absent in browser mode. */
  pickWeightsFile?: () => Promise<string | null>;
  images: ImageService;
  transcripts: TranscriptHandlerDeps;
  models: Pick<ModelHandlerDeps, 'models' | 'endpoint' | 'token' | 'openFolder'>;
  /** The local API server's request log (browser mode). */
  requests?: RequestLog;
  /** Local or remote: which engine answers (Settings → Engines). */
  engines: EngineRouter;
}

/** App defaults under the chat's own settings (a message's one-off overrides go on top later). */
export function samplingFor(settings: Settings, chat: ConversationSummary): SamplingSettingsInput {
  return { ...settings.sampling, ...chat.sampling };
}

export function createAppHandlers(deps: AppHandlerDeps): Handlers {
  const { store, model, files, settings, generation, events, images } = deps;
  const changed = (reason: 'created' | 'renamed' | 'deleted' | 'restored' | 'sampling', conversationId: number): void =>
    events.emit('chats.changed', { reason, conversationId });

  const handlers: Handlers = {
    commands: {
      'app.info': () => deps.info,

      'chats.list': (page) => store.listConversations(page),
      ...chatEditCommands({ store, events, ...(deps.requests ? { requests: deps.requests } : {}) }),
      'chats.create': () => {
        const chat = store.createConversation();
        changed('created', chat.id);
        return chat;
      },
      'chats.get': ({ id }) => store.getConversation(id),
      'chats.rename': ({ id, title }) => {
        const chat = store.renameConversation(id, title);
        changed('renamed', id);
        return chat;
      },
      'chats.delete': ({ id }) => {
        generation.stop(id);
        store.deleteConversation(id);
        changed('deleted', id);
        return null;
      },
      'chats.restore': ({ id }) => {
        const chat = store.restoreConversation(id);
        changed('restored', id);
        return chat;
      },
      'chats.search': ({ query, limit }) => store.search(query, limit),
      'chats.getSampling': ({ id }) => store.getConversation(id).sampling ?? null,
      'chats.setSampling': ({ id, sampling }) => {
        const chat = store.patchSampling(id, sampling);
        changed('sampling', id);
        return chat;
      },

      'messages.page': ({ conversationId, ...page }) => store.getActivePath(conversationId, page),
      'messages.siblings': ({ messageId }) => store.siblings(messageId),
      'messages.switchBranch': ({ messageId, index }) => store.switchToSibling(messageId, index),
      'messages.selectLeaf': ({ conversationId, messageId }) => store.setActiveLeaf(conversationId, messageId),

      'generation.stop': ({ conversationId }) => ({ stopped: generation.stop(conversationId) }),
      'generation.promptTokens': ({ conversationId, leafId }) => generation.promptTokens(conversationId, leafId),

      // A typed `~/…` is the home folder (issue 15, defect 11).
      'model.load': (input) => model.load({ ...input, modelPath: files.check('model', expandHome(input.modelPath)) }),
      'model.cancelLoad': () => {
        model.cancelLoad();
        return null;
      },
      'model.unload': () => model.unload(),
      'model.status': () => model.status(),
      'model.pickFile': async () => {
        if (!deps.pickModelFile) throw new AppError('api.notFound', 'There is no file dialog in the browser: choose a model from the models folder.');
        const path = await deps.pickModelFile();
        return { path: path === null ? null : files.chose('model', path) };
      },

      'images.capability': () => images.capability(),
      'images.get': ({ imageHash }) => {
        const { mime, bytes } = images.read(imageHash);
        return { mime, dataBase64: bytes.toString('base64') };
      },
      'images.pickWeightsFile': async () => {
        if (!deps.pickWeightsFile) throw new AppError('api.notFound', 'There is no file dialog in the browser: put the VQ-GAN weights in the models folder.');
        const path = await deps.pickWeightsFile();
        return { path: path === null ? null : files.chose('vqganWeights', path) };
      },

      ...transcriptCommands(deps.transcripts),
      ...modelCommands({
        ...deps.models,
        settings,
        engineStatus: () => model.status(),
        checkPath: (purpose, path) => files.check(purpose, path),
        chosePath: (purpose, path) => files.chose(purpose, path),
        loadModel: (modelPath) => handlers.commands['model.load']({ modelPath }),
        setVqganWeights: (vqganWeightsPath) => handlers.commands['settings.set']({ ...settings.get(), vqganWeightsPath }),
      }),

      ...engineCommands(deps.engines),

      'settings.get': () => settings.get(),
      'settings.set': async (next) => {
        const current = settings.get();
        // A path reaches the settings (and so the next start) only if the user chose that file.
        if (next.modelPath && next.modelPath !== current.modelPath) files.check('model', next.modelPath);
        // New VQ-GAN weights are checked on selection (headers and every tensor's shape, no
        // weights read): a wrong file is refused now with its vqgan.* code, not at the first image.
        if (next.vqganWeightsPath && next.vqganWeightsPath !== current.vqganWeightsPath) await checkVqganWeights(files.check('vqganWeights', next.vqganWeightsPath));
        return settings.set(next);
      },
    },
    streams: {
      'images.attach': async ({ dataBase64 }, sink) => {
        try {
          const bytes = Buffer.from(dataBase64, 'base64');
          const { part, cached } = await images.attach(bytes, {
            signal: sink.signal,
            onProgress: (stage, done, total) => sink.send({ type: 'progress', stage, done, total }),
          });
          sink.send({ type: 'success', part, cached });
        } catch (err) {
          sink.send({ type: 'error', error: toErrorData(err, 'vqgan.internal') });
        }
      },
      'messages.send': (args, sink) => generation.send(args, sink),
      'messages.regenerate': (args, sink) => generation.regenerate(args, sink),
      'messages.continue': (args, sink) => generation.continue(args, sink),
      'messages.edit': (args, sink) => generation.edit(args, sink),
      ...transcriptStreams(deps.transcripts),
    },
    subscribe: (listener) => events.subscribe(listener),
  };
  return handlers;
}
