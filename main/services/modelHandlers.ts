// The models part of the app's Handlers (api.ts): catalog, downloads, installed models, the fit
// check and the Hub token. Using a model goes through the app's own model.load and settings.set
// handlers, so a downloaded GGUF and a picked one are checked and announced the same way.
import { totalmem } from 'node:os';
import type { Handlers } from '../contract/api.ts';
import type { EngineStatus } from '../contract/engine.ts';
import type { InstalledModel } from '../contract/models.ts';
import { fitReport, ggufInsights, type Machine } from '../engine/ggufFit.ts';
import { AppError } from '../contract/errors.ts';
import { authHeaders, resolveUrl } from '../models/hubClient.ts';
import type { ModelLibrary } from '../models/ModelLibrary.ts';
import type { SettingsService } from './settingsService.ts';

type ModelCommands = Pick<
  Handlers['commands'],
  | 'models.catalog'
  | 'models.list'
  | 'models.pull'
  | 'models.pause'
  | 'models.resume'
  | 'models.cancel'
  | 'models.remove'
  | 'models.import'
  | 'models.use'
  | 'models.fit'
  | 'models.setToken'
  | 'models.openFolder'
  | 'models.makeImageCapable'
  | 'models.cancelTransform'
  | 'models.pickHeadFile'
  | 'models.convertCheckpoint'
  | 'models.pickCheckpointFolder'
>;

export interface ModelHandlerDeps {
  models: ModelLibrary;
  settings: SettingsService;
  endpoint: string;
  token: () => Promise<string | null>;
  engineStatus: () => EngineStatus;
  /** The app's model.load and settings.set handlers. */
  loadModel: (path: string) => unknown;
  setVqganWeights: (path: string) => unknown;
  /** The path when the user chose that file (dialog, configuration, models folder); else api.forbiddenPath. */
  checkPath: (purpose: 'model' | 'vqganWeights', path: string) => string;
  /** Remembers a file picked in a native dialog as chosen by the user. */
  chosePath: (purpose: 'model' | 'vqganWeights', path: string) => string;
  /** The native open dialog for Anole's head (Electron); absent in browser mode. */
  pickHeadFile?: () => Promise<string | null>;
  /** The native folder dialog for an HF checkpoint (Electron); absent in browser mode. */
  pickCheckpointFolder?: () => Promise<string | null>;
  /** The file manager (Electron's shell.openPath); absent in browser mode. */
  openFolder?: (path: string) => Promise<void>;
}

/** RAM of this machine; VRAM as the engine reports it for its GPU backend (0 on the CPU or before a load). */
export function thisMachine(status: EngineStatus): Machine {
  const backend = status.backend;
  return { ramBytes: totalmem(), vramBytes: backend && backend.kind !== 'cpu' ? backend.vram.total : 0 };
}

/** What to do with a model once it is installed (downloaded or chosen): load it or set it as the tokenizer. */
export async function useModel(deps: Pick<ModelHandlerDeps, 'loadModel' | 'setVqganWeights'>, model: InstalledModel): Promise<void> {
  if (model.kind === 'gguf') await deps.loadModel(model.path);
  else if (model.kind === 'vqgan') await deps.setVqganWeights(model.path);
  // imageHead: kept for image output, which reads it from the models list when it is built.
}

export function modelCommands(deps: ModelHandlerDeps): ModelCommands {
  const { models } = deps;
  return {
    'models.catalog': () => models.catalog.entries,
    'models.list': () => models.snapshot(),
    'models.pull': ({ id }) => models.pull(id),
    'models.pause': ({ id }) => models.pause(id),
    'models.resume': ({ id }) => models.resume(id),
    'models.cancel': async ({ id }) => {
      await models.cancel(id);
      return null;
    },
    'models.remove': ({ id }) => models.remove(id),
    // A path from the page is opened only when the user chose the file (paths are capabilities).
    'models.import': ({ path, kind, mode }) => models.import(deps.checkPath(kind === 'gguf' ? 'model' : 'vqganWeights', path), kind, mode),
    'models.use': async ({ id }) => {
      await useModel(deps, models.installed(id));
      return null;
    },
    'models.fit': async ({ id, contextSize }) => {
      const installed = models.snapshot().installed.find((m) => m.id === id);
      const entry = models.catalog.entries.find((e) => e.id === id);
      const kind = installed?.kind ?? entry?.kind;
      if (kind !== 'gguf') throw new AppError('models.notInCatalog', `"${id}" is not a GGUF in the catalog or the installed models.`, { id });
      const insights = installed
        ? await ggufInsights(installed.path)
        : await ggufInsights(resolveUrl(deps.endpoint, entry!), { headers: authHeaders(await deps.token()) });
      return fitReport(insights, contextSize ?? deps.settings.get().contextSize, thisMachine(deps.engineStatus()));
    },
    'models.openFolder': async () => {
      if (!deps.openFolder) throw new AppError('api.notFound', `There is no file manager in the browser: the models folder is ${models.modelsDir}.`);
      await deps.openFolder(models.modelsDir);
      return null;
    },
    // A head file is model weights: the same capability rule as a GGUF (dialog, configuration, models folder).
    'models.makeImageCapable': ({ id, headId, headPath }) =>
      models.makeImageCapable(id, { ...(headId ? { headId } : {}), ...(headPath ? { headPath: deps.checkPath('model', headPath) } : {}) }),
    'models.cancelTransform': async ({ id }) => {
      await models.cancelTransform(id);
      return null;
    },
    'models.pickHeadFile': async () => {
      if (!deps.pickHeadFile) throw new AppError('api.notFound', "There is no file dialog in the browser: put Anole's head file in the models folder and type its path.");
      const path = await deps.pickHeadFile();
      return { path: path === null ? null : deps.chosePath('model', path) };
    },
    'models.convertCheckpoint': ({ path, quant }) => models.convertCheckpoint(deps.checkPath('model', path), quant),
    'models.pickCheckpointFolder': async () => {
      if (!deps.pickCheckpointFolder) throw new AppError('api.notFound', 'There is no folder dialog in the browser: put the checkpoint folder in the models folder and type its path.');
      const path = await deps.pickCheckpointFolder();
      return { path: path === null ? null : deps.chosePath('model', path) };
    },
    'models.setToken': async ({ token }) => {
      await models.setToken(token);
      return { hasToken: token !== null };
    },
  };
}
