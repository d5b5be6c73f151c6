// Owns node-llama-cpp inside the host process: the Llama backend per GPU choice, the loaded model
// and its one context sequence, and the backend report (what was chosen and why).
import os from 'node:os';
import { getLlama, LlamaLogLevel, NoBinaryFoundError, TokenBias, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { AppError } from '../../contract/errors.ts';
import { BOI_ID, EOS_ID, EOT_ID, FIRST_TEXT_ID, IMAGE_ALIAS_FIRST_ID, IMAGE_ALIAS_LAST_ID } from '../../contract/chameleon.ts';
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
  /**
   * Only for a model with image aliases (chameleon.md §6.4): `textOrImageBias` is textOnlyBias with
   * BOI allowed (interleaved text); `imageProbeBias` lifts the 8192 aliases by +1000 logits, so a
   * top-k of 8192 keeps exactly them and the returned probabilities are the image-range softmax;
   * `guidance` are the context's two further sequences for the CFG streams.
   */
  images?: { textOrImageBias: TokenBias; imageProbeBias: TokenBias; guidance: [LlamaContextSequence, LlamaContextSequence] };
  info: ModelInfo;
  backend: BackendInfo;
}

/**
 * One decode thread per physical core (node-llama-cpp's cpuMathCores: a hyperthread shares its
 * core's FPU and only adds barrier waits) — as long as a logical CPU stays free for the UI and the
 * OS. ggml's CPU threads meet at spinning barriers hundreds of times per token, so a thread that
 * loses its core to another process stalls all of them: on 2 cores without SMT, 2 threads decoded
 * a tiny model 20–40× slower than 1 while other processes ran (load ≈ 10, issue 14), where a quiet
 * machine gains 1.25×. With SMT the physical cores leave the siblings free; without, one core is
 * left. A load's `threads` (and `BENCH_THREADS` in the benchmarks) choose otherwise.
 */
export function defaultThreads(physicalCores: number, logicalCpus = os.availableParallelism()): number {
  const threads = physicalCores < logicalCpus ? physicalCores : physicalCores - 1;
  return Math.max(1, Math.min(threads, 16));
}

/**
 * Flash attention per backend: on the CPU, llama.cpp's flash-attention kernel makes each decoded
 * token cost 1.7–1.9× more at a depth of 2 000 tokens than the plain attention path (issue 14;
 * `npm run bench:engine` prints both), so it is off there; GPU backends keep node-llama-cpp's choice.
 */
export function flashAttentionFor(backend: BackendKind): boolean | 'auto' {
  return backend === 'cpu' ? false : 'auto';
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
    const kind: BackendKind = llama.gpu === false ? 'cpu' : llama.gpu;
    hooks.onBackend(kind);
    const threads = settings.threads ?? defaultThreads(llama.cpuMathCores);
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
      // An image-capable model gets the CFG streams as sequences of the same context, so one
      // decode evaluates all three (§6.4); KV memory is contextSize × sequences.
      context = await model.createContext({ contextSize: settings.contextSize, batchSize, threads, sequences: summary.imageAliases ? 3 : 1, flashAttention: flashAttentionFor(kind) });
    } catch (err) {
      await model.dispose();
      throw new AppError('model.loadFailed', `Could not create a ${settings.contextSize}-token context: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (signal.aborted) {
      await context.dispose();
      await model.dispose();
      throw new AppError('model.loadCancelled', 'Model loading was cancelled.');
    }
    const textBias = (allowBoi: boolean): TokenBias => {
      const bias = new TokenBias(model.tokenizer);
      for (let id = 0; id < FIRST_TEXT_ID; id++) if (id !== EOS_ID && id !== EOT_ID && !(allowBoi && id === BOI_ID)) bias.set(id as Token, 'never');
      // The aliases are CONTROL tokens past the text range: text never samples them.
      if (summary.imageAliases) for (let id = IMAGE_ALIAS_FIRST_ID; id <= IMAGE_ALIAS_LAST_ID; id++) bias.set(id as Token, 'never');
      return bias;
    };
    const textOnlyBias = textBias(false);
    const sequence = context.getSequence();
    let images: LoadedModel['images'];
    if (summary.imageAliases) {
      const imageProbeBias = new TokenBias(model.tokenizer);
      for (let id = IMAGE_ALIAS_FIRST_ID; id <= IMAGE_ALIAS_LAST_ID; id++) imageProbeBias.set(id as Token, { logit: 1000 });
      images = { textOrImageBias: textBias(true), imageProbeBias, guidance: [context.getSequence(), context.getSequence()] };
    }

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
    return { settings, model, context, sequence, alignedTokens: 0, textOnlyBias, ...(images ? { images } : {}), info, backend };
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
