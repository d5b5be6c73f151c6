// Owns node-llama-cpp inside the host process: the Llama backend per GPU choice, the loaded model
// and its one context sequence, and the backend report (what was chosen and why).
import os from 'node:os';
import { getLlama, LlamaLogLevel, NoBinaryFoundError, TokenBias, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { AppError } from '../../contract/errors.ts';
import { EOS_ID, EOT_ID, FIRST_TEXT_ID } from '../../contract/chameleon.ts';
import type { BackendInfo, BackendKind, CrashedBackend, GpuChoice, ModelInfo, ModelLoadSettings } from '../../contract/engine.ts';
import type { GgufSummary } from '../ggufValidation.ts';

// The first text id is the contract's (the remote engines ban the same ids).
export { FIRST_TEXT_ID } from '../../contract/chameleon.ts';

export interface LoadedModel {
  settings: ModelLoadSettings;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  /**
   * How many leading cells of the sequence were written by prompt chunks aligned to multiples of
   * the batch size: only those are reused (generation.ts), so an answer does not depend on what
   * the cache held.
   */
  alignedTokens: number;
  /** Bans every non-text id except EOS and EOT (llama.cpp defect 2: its image mask leaks). */
  textOnlyBias: TokenBias;
  /** textOnlyBias plus the tokens that are not whole UTF-8 text; built on the first grammar request. */
  grammarBias?: TokenBias;
  info: ModelInfo;
  backend: BackendInfo;
}

/** Leave a core for the UI and the OS; spin barriers collapse when llama.cpp oversubscribes. */
export function defaultThreads(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, 16));
}

/**
 * `build: "never"`: if no prebuilt binary works here we want a clear error in seconds, never a
 * multi-minute llama.cpp source build (with a compiler the user may not have) inside the app.
 */
const LLAMA_OPTIONS = { build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, skipDownload: true } as const;
const BACKEND_NAMES = { cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan' } as const;

export interface LoadHooks {
  onProgress: (progress: number) => void;
  /** The backend chosen, before any weight goes to it. */
  onBackend: (kind: BackendKind) => void;
}

/** Why 'auto' runs on the CPU: every GPU backend it could have used crashed here before. */
export function crashedFallbackReason(avoid: CrashedBackend[]): string {
  const crashes = avoid.map((c) => `The ${BACKEND_NAMES[c.kind]} backend crashed on this machine (${c.crash})`).join('; ');
  return `${crashes}; using the CPU instead. Update the GPU driver to use the GPU.`;
}

/** 'auto' that avoids crashed backends is another backend choice than plain 'auto'. */
function llamaKey(choice: GpuChoice, avoid: CrashedBackend[]): string {
  return choice === 'auto' ? ['auto', ...avoid.map((c) => c.kind)].join(' ') : choice;
}

export class LlamaRuntime {
  /** Keyed by choice, and for 'auto' by the backends it avoids. */
  readonly #llamas = new Map<string, Llama>();
  readonly #fallbacks = new Map<string, string>();

  async #llamaFor(choice: GpuChoice, avoid: CrashedBackend[] = []): Promise<Llama> {
    const key = llamaKey(choice, avoid);
    const cached = this.#llamas.get(key);
    if (cached) return cached;
    let llama: Llama;
    if (choice === 'cpu') {
      llama = await getLlama({ ...LLAMA_OPTIONS, gpu: false });
    } else if (choice === 'auto') {
      llama = await getLlama({ ...LLAMA_OPTIONS, gpu: { type: 'auto', exclude: avoid.map((c) => c.kind) } });
      if (llama.gpu === false) {
        this.#fallbacks.set(
          key,
          avoid.length > 0 ? crashedFallbackReason(avoid) : 'No supported GPU (CUDA, Vulkan or Metal) with a working prebuilt backend was found.',
        );
      }
    } else {
      try {
        llama = await getLlama({ ...LLAMA_OPTIONS, gpu: choice });
      } catch (err) {
        const why =
          err instanceof NoBinaryFoundError || (err instanceof Error && /NoBinaryFound/.test(`${err.name} ${err.message}`))
            ? 'no prebuilt llama.cpp binary for it works on this machine (no such GPU, or its driver is missing)'
            : err instanceof Error
              ? err.message.split('\n')[0]
              : String(err);
        this.#fallbacks.set(key, `${BACKEND_NAMES[choice]} was requested, but ${why}.`);
        llama = await this.#llamaFor('cpu');
      }
    }
    this.#llamas.set(key, llama);
    return llama;
  }

  async load(settings: ModelLoadSettings, avoid: CrashedBackend[], summary: GgufSummary, signal: AbortSignal, hooks: LoadHooks): Promise<LoadedModel> {
    let llama: Llama;
    try {
      llama = await this.#llamaFor(settings.gpu, avoid);
    } catch (err) {
      throw new AppError('engine.gpuUnavailable', `Could not start the inference backend: ${err instanceof Error ? err.message : String(err)}`);
    }
    hooks.onBackend(llama.gpu === false ? 'cpu' : llama.gpu);
    const threads = settings.threads ?? defaultThreads();
    // llama.cpp's Chameleon graph aborts on a micro-batch without logits (defect 1); the generator
    // feeds prompts in chunks of at most batchSize that each request an output, so any batch size
    // is safe. 512 keeps the compute buffer small; the context size caps it.
    const batchSize = Math.min(settings.batchSize ?? 512, settings.contextSize);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({
        modelPath: settings.modelPath,
        gpuLayers: settings.gpuLayers === 'auto' ? 'auto' : settings.gpuLayers,
        loadSignal: signal,
        onLoadProgress: hooks.onProgress,
      });
    } catch (err) {
      if (signal.aborted) throw new AppError('model.loadCancelled', 'Model loading was cancelled.');
      throw new AppError('model.loadFailed', `llama.cpp could not load the model: ${err instanceof Error ? err.message : String(err)}`);
    }
    let context: LlamaContext;
    try {
      context = await model.createContext({ contextSize: settings.contextSize, batchSize, threads, sequences: 1 });
    } catch (err) {
      await model.dispose();
      throw new AppError('model.loadFailed', `Could not create a ${settings.contextSize}-token context: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (signal.aborted) {
      await context.dispose();
      await model.dispose();
      throw new AppError('model.loadCancelled', 'Model loading was cancelled.');
    }
    const textOnlyBias = new TokenBias(model.tokenizer);
    for (let id = 0; id < FIRST_TEXT_ID; id++) if (id !== EOS_ID && id !== EOT_ID) textOnlyBias.set(id as Token, 'never');

    const info: ModelInfo = {
      path: summary.path,
      fileName: summary.fileName,
      sizeBytes: summary.sizeBytes,
      architecture: summary.architecture,
      contextSize: context.contextSize,
      trainContextSize: summary.trainContextSize,
      parameters: summary.parameters,
      ...(summary.embeddingLength !== undefined ? { embeddingLength: summary.embeddingLength } : {}),
      ...(summary.layers !== undefined ? { layers: summary.layers } : {}),
      vocabularySize: summary.vocabularySize,
      imageAliases: summary.imageAliases,
    };
    const fallback = this.#fallbacks.get(llamaKey(settings.gpu, avoid));
    const backend = await this.#describeBackend(llama, settings, fallback, model, threads, context.batchSize);
    return { settings, model, context, sequence: context.getSequence(), alignedTokens: 0, textOnlyBias, info, backend };
  }

  async #describeBackend(
    llama: Llama,
    settings: ModelLoadSettings,
    fallback: string | undefined,
    model: LlamaModel,
    threads: number,
    batchSize: number,
  ): Promise<BackendInfo> {
    const kind = llama.gpu === false ? 'cpu' : llama.gpu;
    const vram = await llama.getVramState();
    const totalLayers = model.fileInsights.totalLayers;
    let cpuFallbackReason = fallback;
    if (!cpuFallbackReason && kind !== 'cpu' && model.gpuLayers === 0) {
      cpuFallbackReason =
        settings.gpuLayers === 0 ? 'GPU layers were set to 0.' : 'The model did not fit in the free VRAM, so no layer was offloaded.';
    }
    return {
      kind,
      deviceNames: kind === 'cpu' ? [os.cpus()[0]?.model ?? 'CPU'] : await llama.getGpuDeviceNames(),
      gpuLayers: model.gpuLayers,
      totalLayers,
      vram: { used: vram.used, total: vram.total },
      // The host process is the engine: its resident memory is what the model and context cost in RAM.
      ram: { used: process.memoryUsage().rss, total: os.totalmem() },
      threads,
      batchSize,
      ...(cpuFallbackReason && settings.gpu !== 'cpu' ? { cpuFallbackReason } : {}),
    };
  }

  async dispose(): Promise<void> {
    for (const llama of new Set(this.#llamas.values())) await llama.dispose();
    this.#llamas.clear();
  }
}

export async function unloadModel(loaded: LoadedModel): Promise<void> {
  await loaded.context.dispose();
  await loaded.model.dispose();
}
