// The inference host process: the only place node-llama-cpp runs. Started by forkLauncher
// (child_process.fork: talks over process.send) or utilityProcessLauncher (Electron: talks over
// process.parentPort). Requests run one at a time (image encodes included: they compete with the
// LLM for the same cores or GPU); `cancel` acts at once on the one it names.
import { AppError, toErrorData } from '../../contract/errors.ts';
import type { CrashedBackend, EngineStatus, GenerationEvent } from '../../contract/engine.ts';
import { HostRequestSchema, type HostMessage, type HostRequest } from '../protocol.ts';
import { validateChameleonGguf } from '../ggufValidation.ts';
import { generate, promptTokensFor } from './generation.ts';
import { generateWithImages } from './imageGeneration.ts';
import { AnswerCache } from './answerCache.ts';
import { LlamaRuntime, unloadModel, type LoadedModel } from './llamaRuntime.ts';
import { ImageEncoder } from './imageEncoder.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

// Electron's utilityProcess adds `process.parentPort`; under fork it is absent.
const parentPort: ParentPort | undefined = Reflect.get(process, 'parentPort');
const send = (message: HostMessage): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
};

const runtime = new LlamaRuntime();
const answers = new AnswerCache();
const images = new ImageEncoder();
let loaded: LoadedModel | null = null;
let status: EngineStatus = { state: 'empty' };
const controllers = new Map<number, AbortController>();
const generating = new Set<number>();
let queue: Promise<void> = Promise.resolve();

function setStatus(next: EngineStatus): void {
  status = next;
  send({ kind: 'status', status });
}

async function unload(): Promise<void> {
  const current = loaded;
  loaded = null;
  answers.clear();
  if (current) await unloadModel(current);
}

/** Puts the previous model back after a failed switch; false when it cannot be loaded either. */
async function restore(previous: EngineStatus, avoid: CrashedBackend[]): Promise<boolean> {
  if (loaded) {
    setStatus(previous);
    return true;
  }
  const settings = previous.settings!;
  try {
    const summary = await validateChameleonGguf(settings.modelPath, new AbortController().signal);
    loaded = await runtime.load(settings, avoid, summary, new AbortController().signal, { onBackend: () => undefined, onProgress: () => undefined });
  } catch {
    return false;
  }
  setStatus({ state: 'ready', loadProgress: 1, settings, model: loaded.info, backend: loaded.backend });
  return true;
}

async function handle(req: Exclude<HostRequest, { kind: 'cancel' }>, signal: AbortSignal): Promise<unknown> {
  switch (req.kind) {
    case 'load': {
      // The model serving now keeps serving when the new one turns out bad: the file is checked
      // before the old model goes, and if llama.cpp still fails on it, the old one is loaded again.
      const previous = loaded && status.state === 'ready' ? status : null;
      setStatus({ state: 'loading', loadProgress: 0, settings: req.settings });
      try {
        const summary = await validateChameleonGguf(req.settings.modelPath, signal);
        // Dispose the old model before loading the next one: two models rarely fit in memory.
        await unload();
        let reported = 0;
        loaded = await runtime.load(req.settings, req.avoid, summary, signal, {
          onBackend: (backend) => send({ kind: 'backend', id: req.id, backend }),
          onProgress: (progress) => {
            // llama.cpp reports per tensor; one message per percent is plenty for a progress bar.
            if (progress < 1 && progress - reported < 0.01) return;
            reported = progress;
            send({ kind: 'loadProgress', id: req.id, progress });
            setStatus({ state: 'loading', loadProgress: progress, settings: req.settings });
          },
        });
      } catch (caught) {
        // Whatever a cancelled load failed on (the header reader's AbortError, say), it was cancelled.
        const err = signal.aborted ? new AppError('model.loadCancelled', 'Model loading was cancelled.') : caught;
        const error = toErrorData(err, 'model.loadFailed');
        if (previous && (await restore(previous, req.avoid))) throw err;
        setStatus(error.code === 'model.loadCancelled' ? { state: 'empty' } : { state: 'error', settings: req.settings, error });
        throw err;
      }
      setStatus({ state: 'ready', loadProgress: 1, settings: req.settings, model: loaded.info, backend: loaded.backend });
      return status;
    }
    case 'unload':
      await unload();
      setStatus({ state: 'empty' });
      return status;
    case 'generate': {
      if (!loaded) throw new AppError('model.notLoaded', 'No model is loaded.');
      const emit = (event: GenerationEvent): void => send({ kind: 'event', id: req.id, event });
      const weights = req.request.vqganWeightsPath;
      const result =
        req.request.mode === 'text'
          ? await generate(loaded, req.request, signal, emit, answers)
          : await generateWithImages(loaded, req.request, signal, emit, answers, weights ? images.pngDecoder(weights) : undefined);
      send({ kind: 'event', id: req.id, event: { type: 'done', result } });
      return result;
    }
    case 'countTokens':
      if (!loaded) throw new AppError('model.notLoaded', 'No model is loaded.');
      return promptTokensFor(loaded, { turns: req.turns }, answers).length;
    case 'promptTokens':
      if (!loaded) throw new AppError('model.notLoaded', 'No model is loaded.');
      return promptTokensFor(loaded, { turns: req.turns }, answers);
    case 'encodeImage':
      return images.encode(req.weightsPath, req.image, signal, (stage, done, total) => send({ kind: 'imageProgress', id: req.id, stage, done, total }));
    case 'imageWeightsId':
      return images.weightsSha256(req.weightsPath);
  }
}

function onRequest(req: HostRequest): void {
  if (req.kind === 'cancel') {
    controllers.get(req.id)?.abort();
    return;
  }
  // Switching or unloading the model stops the answer being generated (it keeps its partial text)
  // instead of waiting behind it.
  if (req.kind === 'load' || req.kind === 'unload') for (const id of generating) controllers.get(id)?.abort();
  const controller = new AbortController();
  controllers.set(req.id, controller);
  if (req.kind === 'generate') generating.add(req.id);
  const run = async (): Promise<void> => {
    try {
      if (controller.signal.aborted && req.kind === 'load') throw new AppError('model.loadCancelled', 'Model loading was cancelled.');
      const value = await handle(req, controller.signal);
      send({ kind: 'result', id: req.id, ok: true, value });
    } catch (err) {
      send({ kind: 'result', id: req.id, ok: false, error: toErrorData(err, 'engine.internal') });
    } finally {
      controllers.delete(req.id);
      generating.delete(req.id);
    }
  };
  // One at a time: the context has one sequence, and loads must not overlap generations.
  queue = queue.then(run);
}

/** Only requests of protocol.ts are acted on; a malformed one with an id is answered as such. */
function onRaw(raw: unknown): void {
  const parsed = HostRequestSchema.safeParse(raw);
  if (parsed.success) return onRequest(parsed.data);
  const id: unknown = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'id') : undefined;
  if (typeof id === 'number' && Number.isInteger(id) && id > 0) send({ kind: 'result', id, ok: false, error: { code: 'api.badRequest', message: 'Malformed engine request.' } });
}

if (parentPort) parentPort.on('message', (e) => onRaw(e.data));
else process.on('message', onRaw);

// The parent went away (fork): nothing is left to answer to.
process.on('disconnect', () => {
  void shutdown();
});
process.on('SIGTERM', () => {
  void shutdown();
});

async function shutdown(): Promise<void> {
  for (const c of controllers.values()) c.abort();
  await Promise.race([
    (async () => {
      await unload().catch(() => undefined);
      images.dispose();
      await runtime.dispose().catch(() => undefined);
    })(),
    new Promise((r) => setTimeout(r, 2000)),
  ]);
  process.exit(0);
}

send({ kind: 'hello', pid: process.pid });
