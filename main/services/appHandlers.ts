// The app's implementation of api.ts on the real ChatStore, EngineClient and settings file. The
// `Handlers` annotation makes the compiler check every command and stream against the contract.
import { expandHome } from '../platform/expandHome.ts';
import type { AppInfo, Handlers, Settings } from '../contract/api.ts';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { EngineStatus, ModelLoadSettingsInput, SamplingSettingsInput } from '../contract/engine.ts';
import type { LoadOptions } from '../engine/engineClient.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { ChatSamplingFile } from './chatSamplingFile.ts';
import type { EventHub } from './eventHub.ts';
import type { GenerationService } from './generationService.ts';
import type { SettingsService } from './settingsService.ts';
import type { ImageService } from './imageService.ts';
import { checkVqganWeights } from '../images/vqgan/weights/loadWeights.ts';
import { transcriptCommands, transcriptStreams, type TranscriptHandlerDeps } from './transcriptHandlers.ts';

/** The slice of EngineClient the handlers drive. */
export interface ModelEngine {
  load(input: ModelLoadSettingsInput, options?: LoadOptions): Promise<EngineStatus>;
  unload(): Promise<EngineStatus>;
  getStatus(): EngineStatus;
}

export interface AppHandlerDeps {
  info: AppInfo;
  store: ChatStore;
  engine: ModelEngine;
  settings: SettingsService;
  chatSampling: ChatSamplingFile;
  generation: GenerationService;
  events: EventHub;
  /** The native open dialog (Electron); absent in browser mode. */
  pickModelFile?: () => Promise<string | null>;
  /** The native open dialog for the VQ-GAN weights (Electron); absent in browser mode. */
  pickWeightsFile?: () => Promise<string | null>;
  images: ImageService;
  transcripts: TranscriptHandlerDeps;
}

/** App defaults under the chat's own overrides. */
export function samplingFor(settings: Settings, chatSampling: ChatSamplingFile, conversationId: number): SamplingSettingsInput {
  return { ...settings.sampling, ...chatSampling.get(conversationId) };
}

export function createAppHandlers(deps: AppHandlerDeps): Handlers {
  const { store, engine, settings, chatSampling, generation, events, images } = deps;
  let loading: AbortController | null = null;
  const changed = (reason: 'created' | 'renamed' | 'deleted' | 'restored', conversationId: number): void =>
    events.emit('chats.changed', { reason, conversationId });

  return {
    commands: {
      'app.info': () => deps.info,

      'chats.list': (page) => store.listConversations(page),
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
      'chats.getSampling': ({ id }) => {
        store.getConversation(id);
        return chatSampling.get(id);
      },
      'chats.setSampling': ({ id, sampling }) => {
        store.getConversation(id);
        chatSampling.set(id, sampling);
        return null;
      },

      'messages.page': ({ conversationId, ...page }) => store.getActivePath(conversationId, page),
      'messages.siblings': ({ messageId }) => store.siblings(messageId),
      'messages.switchBranch': ({ messageId, index }) => store.switchToSibling(messageId, index),
      'messages.selectLeaf': ({ conversationId, messageId }) => store.setActiveLeaf(conversationId, messageId),

      'generation.stop': ({ conversationId }) => ({ stopped: generation.stop(conversationId) }),
      'generation.promptTokens': ({ conversationId, leafId }) => generation.promptTokens(conversationId, leafId),

      'model.load': async (given) => {
        const input = { ...given, modelPath: expandHome(given.modelPath) };
        const current = settings.get();
        loading?.abort();
        const controller = new AbortController();
        loading = controller;
        const request: ModelLoadSettingsInput = {
          gpu: current.gpu,
          gpuLayers: current.gpuLayers,
          contextSize: current.contextSize,
          ...(current.threads === undefined ? {} : { threads: current.threads }),
          ...input,
        };
        try {
          const status = await engine.load(request, {
            signal: controller.signal,
            onProgress: (progress) => events.emit('model.stateChanged', { ...engine.getStatus(), state: 'loading', loadProgress: progress }),
          });
          // The model that loaded is the one to open next time.
          if (current.modelPath !== input.modelPath) await settings.set({ ...settings.get(), modelPath: input.modelPath });
          return status;
        } finally {
          if (loading === controller) loading = null;
        }
      },
      'model.cancelLoad': () => {
        loading?.abort();
        return null;
      },
      'model.unload': () => engine.unload(),
      'model.status': () => engine.getStatus(),
      'model.pickFile': async () => {
        if (!deps.pickModelFile) throw new AppError('api.notFound', 'There is no file dialog in the browser: type the path of the .gguf file.');
        return { path: await deps.pickModelFile() };
      },

      'images.capability': () => images.capability(),
      'images.get': ({ imageHash }) => {
        const { mime, bytes } = images.read(imageHash);
        return { mime, dataBase64: bytes.toString('base64') };
      },
      'images.pickWeightsFile': async () => {
        if (!deps.pickWeightsFile) throw new AppError('api.notFound', 'There is no file dialog in the browser: type the path of the VQ-GAN weights.');
        return { path: await deps.pickWeightsFile() };
      },

      ...transcriptCommands(deps.transcripts),

      'settings.get': () => settings.get(),
      'settings.set': async (next) => {
        // New VQ-GAN weights are checked on selection (headers and every tensor's shape, no
        // weights read): a wrong file is refused now with its vqgan.* code, not at the first image.
        if (next.vqganWeightsPath && next.vqganWeightsPath !== settings.get().vqganWeightsPath) await checkVqganWeights(next.vqganWeightsPath);
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
      'messages.edit': (args, sink) => generation.edit(args, sink),
      ...transcriptStreams(deps.transcripts),
    },
    subscribe: (listener) => events.subscribe(listener),
  };
}
