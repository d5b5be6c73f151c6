// The typed seam to the native VQ-GAN addon (native/): the ONLY module that loads the `.node` file.
// Everything else in main/images/vqgan codes against the types below. The addon runs the
// taming-transformers VQGAN (Chameleon's image tokenizer) on ggml, reusing the ggml shared libraries
// that node-llama-cpp ships, so the process holds one ggml and every GPU backend node-llama-cpp has.
//
// Conventions: pixels are 1×3×R×R NCHW float32 in [-1, 1]; codes are int32, row-major over the
// latent grid; tensors use Meta's bare state-dict names ('encoder.conv_in.weight', …) and shapes.
// Native errors arrive as Error objects whose `code` is one of our ErrorCodes; they are rethrown
// here as AppError.
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, isErrorCode } from '../../contract/errors.ts';
import { addonRelPath, ggmlBasePackage, ggmlBinsDir, ggmlGpuPackages } from './prebuiltPlatform.ts';

export interface VqganArchitecture {
  resolution: number;
  inChannels: number;
  outCh: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  attnResolutions: number[];
  zChannels: number;
  embedDim: number;
  nEmbed: number;
  hasEncoder: boolean;
  hasDecoder: boolean;
}

export interface NativeTensor {
  /** bare reference name, e.g. 'encoder.conv_in.weight' */
  name: string;
  shape: number[];
  dtype: 'f32' | 'f16' | 'bf16';
  /** little-endian raw bytes; copied by the addon (no external buffers) */
  data: Uint8Array;
}

export type NativeBackendChoice = 'auto' | 'cpu' | 'gpu';

export interface NativeLoadOptions {
  /**
   * 'cpu' and 'auto' run on the CPU. 'gpu' loads node-llama-cpp's CUDA/Vulkan/Metal ggml backend
   * (vqgan.backendUnavailable when none loads). 'auto' does not pick the GPU by itself: on a tested
   * H100 (driver 580) node-llama-cpp 3.21.1's CUDA kernels made ggml abort the process, which no
   * caller can catch; a GPU for 'auto' needs an out-of-process self-test first.
   */
  backend: NativeBackendChoice;
  /** graph threads for the CPU backend; default leaves one core of headroom */
  threads?: number;
}

export type ProgressCallback = (stage: string, done: number, total: number) => void;

export interface NativeEncodeOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** also return the encoder output and the pre-quant latent (for tests and diagnostics) */
  debug?: boolean;
}

export interface NativeEncodeResult {
  codes: Int32Array;
  /** latent grid [rows, cols] */
  grid: [number, number];
  ms: { encode: number; quantize: number };
  /** 1×embedDim×rows×cols, only with debug */
  prequant?: Float32Array;
  /** 1×zChannels×rows×cols, only with debug */
  encOut?: Float32Array;
  /** per position: 2nd-smallest minus smallest squared distance, only with debug */
  margins?: Float32Array;
}

export interface NativeDecodeOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** also return post_quant_conv's output (the decoder input) */
  debug?: boolean;
}

export interface NativeDecodeResult {
  /** 1×3×R×R raw decoder output, unclamped */
  pixels: Float32Array;
  ms: { decode: number };
  /** 1×zChannels×rows×cols, only with debug */
  postQuant?: Float32Array;
}

export interface NativeVqgan {
  /** e.g. 'cpu', 'cuda:NVIDIA H100 80GB HBM3', 'vulkan:…' */
  readonly backend: string;
  readonly arch: Readonly<VqganArchitecture>;
  encode(pixels: Float32Array, opts?: NativeEncodeOptions): Promise<NativeEncodeResult>;
  decode(codes: Int32Array, opts?: NativeDecodeOptions): Promise<NativeDecodeResult>;
  dispose(): void;
}

/** A ggml tensor type as ggml's type traits describe it (ids are ggml's `enum ggml_type`). */
export interface GgmlTypeInfo {
  name: string;
  /** values per block, and bytes per block */
  blockSize: number;
  typeSize: number;
  quantized: boolean;
  needsImatrix: boolean;
  /** whether quantize() accepts it (no importance matrix needed, a type GGUF weights use) */
  canQuantize: boolean;
}

// ---- the raw addon surface (private to this file) ----

interface RawCancelToken {
  cancel(): void;
}

interface RawModel {
  backend(): string;
  encode(pixels: Float32Array, debug: boolean, token: RawCancelToken, onProgress: ProgressCallback | null): Promise<{
    codes: Int32Array;
    rows: number;
    cols: number;
    encodeMs: number;
    quantizeMs: number;
    prequant?: Float32Array;
    encOut?: Float32Array;
    margins?: Float32Array;
  }>;
  decode(codes: Int32Array, debug: boolean, token: RawCancelToken, onProgress: ProgressCallback | null): Promise<{
    pixels: Float32Array;
    decodeMs: number;
    postQuant?: Float32Array;
  }>;
  dispose(): void;
}

interface RawAddon {
  CancelToken: new () => RawCancelToken;
  /** opens libggml-base in that folder; precedes every other call */
  init(ggmlDir: string): void;
  load(arch: VqganArchitecture, tensors: NativeTensor[], opts: { backend: NativeBackendChoice; threads: number; gpuDirs: string[] }): Promise<RawModel>;
  ggmlInfo(): { cpuVariant: string; loadedFrom: string };
  quantize(type: number, values: Float32Array, rows: number, perRow: number): Promise<Uint8Array>;
  dequantize(type: number, bytes: Uint8Array, count: number): Promise<Float32Array>;
  ggmlType(type: number): GgmlTypeInfo;
  rowSize(type: number, perRow: number): number;
  quantizeModel(libllama: string, input: string, output: string, ftype: number, threads: number): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The nearest folder at or above this module holding `rel` (source tree, compiled dist/, packaged app). */
function findUp(rel: string): string | undefined {
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const ADDON_REL = addonRelPath();
const repoRoot = findUp(ADDON_REL) ?? path.resolve(here, '../../..');

/** Where the built addon lives; `native/build.ts` (run by `npm install`) puts it there. */
export const NATIVE_ADDON_PATH = path.join(repoRoot, ADDON_REL);

/**
 * Our own dlopen of node-llama-cpp's libraries needs real files: in a packaged app they sit in
 * app.asar.unpacked, while fs calls (Electron's asar support) also answer for the app.asar path.
 */
function unpacked(p: string): string {
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

function nodeModulesDir(): string {
  return unpacked(path.join(findUp(path.join('node_modules', '@node-llama-cpp')) ?? repoRoot, 'node_modules'));
}

/** node-llama-cpp's CPU build of ggml for this platform: the addon opens its libggml-base. */
export function ggmlBaseDir(): string {
  return ggmlBinsDir(nodeModulesDir(), ggmlBasePackage());
}

let addon: RawAddon | undefined;

function loadAddon(): RawAddon {
  if (addon) return addon;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    throw new AppError('vqgan.backendUnavailable', `The VQ-GAN addon is not built (${NATIVE_ADDON_PATH}); run \`npm install\` or \`node native/build.ts\`.`);
  }
  let raw: RawAddon;
  try {
    raw = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as RawAddon;
  } catch (err) {
    throw new AppError('vqgan.backendUnavailable', `The VQ-GAN addon failed to load: ${(err as Error).message}`, undefined, { cause: err });
  }
  try {
    raw.init(ggmlBaseDir());
  } catch (err) {
    throw toAppError(err);
  }
  addon = raw;
  return addon;
}

/** node-llama-cpp's GPU builds of ggml for this platform; the addon tries them for backend gpu/auto. */
function gpuBinDirs(): string[] {
  const modules = nodeModulesDir();
  return ggmlGpuPackages().map((pkg) => ggmlBinsDir(modules, pkg)).filter((d) => existsSync(d));
}

/** Native errors carry `code`; turn them into AppError (unknown codes become vqgan.internal). */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = isErrorCode(e?.code) ? e.code : 'vqgan.internal';
  const details = (err as { tensor?: unknown })?.tensor !== undefined ? { tensor: (err as { tensor: unknown }).tensor } : undefined;
  return new AppError(code, message, details, { cause: err });
}

function defaultThreads(): number {
  // leave headroom for the UI/engine host: all cores but one, at least one
  return Math.max(1, availableParallelism() - 1);
}

/** Run one native job with an AbortSignal wired to its cancel token. */
async function withCancel<T>(signal: AbortSignal | undefined, run: (token: RawCancelToken) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new AppError('vqgan.cancelled', 'The image operation was cancelled.');
  const token = new (loadAddon().CancelToken)();
  const onAbort = () => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(token);
  } catch (err) {
    throw toAppError(err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

class NativeVqganModel implements NativeVqgan {
  readonly backend: string;
  readonly arch: Readonly<VqganArchitecture>;
  #raw: RawModel | undefined;
  // the native model holds one set of compute buffers: run its jobs one at a time
  #queue: Promise<unknown> = Promise.resolve();

  constructor(raw: RawModel, arch: VqganArchitecture) {
    this.#raw = raw;
    this.arch = Object.freeze({ ...arch, chMult: [...arch.chMult], attnResolutions: [...arch.attnResolutions] });
    this.backend = raw.backend();
  }

  #serial<T>(job: (raw: RawModel) => Promise<T>): Promise<T> {
    const next = this.#queue.then(() => {
      if (!this.#raw) throw new AppError('vqgan.internal', 'The VQ-GAN model was disposed.');
      return job(this.#raw);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  encode(pixels: Float32Array, opts: NativeEncodeOptions = {}): Promise<NativeEncodeResult> {
    const r = this.arch.resolution;
    if (pixels.length !== this.arch.inChannels * r * r) {
      return Promise.reject(new AppError('vqgan.internal', `encode expects 1×${this.arch.inChannels}×${r}×${r} pixels, got ${pixels.length} values.`));
    }
    return this.#serial((raw) =>
      withCancel(opts.signal, async (token) => {
        const out = await raw.encode(pixels, opts.debug === true, token, opts.onProgress ?? null);
        const result: NativeEncodeResult = { codes: out.codes, grid: [out.rows, out.cols], ms: { encode: out.encodeMs, quantize: out.quantizeMs } };
        if (out.prequant) result.prequant = out.prequant;
        if (out.encOut) result.encOut = out.encOut;
        if (out.margins) result.margins = out.margins;
        return result;
      }),
    );
  }

  decode(codes: Int32Array, opts: NativeDecodeOptions = {}): Promise<NativeDecodeResult> {
    return this.#serial((raw) =>
      withCancel(opts.signal, async (token) => {
        const out = await raw.decode(codes, opts.debug === true, token, opts.onProgress ?? null);
        const result: NativeDecodeResult = { pixels: out.pixels, ms: { decode: out.decodeMs } };
        if (out.postQuant) result.postQuant = out.postQuant;
        return result;
      }),
    );
  }

  dispose(): void {
    // the native side keeps its buffers alive until a running job finishes
    this.#raw?.dispose();
    this.#raw = undefined;
  }
}

/**
 * Build the network for `arch` from `tensors` (copied into backend memory, upcast to f32).
 * Missing or mis-shaped tensors reject with vqgan.missingTensor / vqgan.badTensorShape naming the
 * tensor (details.tensor); `backend: 'gpu'` without a usable GPU rejects with vqgan.backendUnavailable.
 */
export async function loadNativeVqgan(arch: VqganArchitecture, tensors: NativeTensor[], opts: NativeLoadOptions): Promise<NativeVqgan> {
  const native = loadAddon();
  const threads = opts.threads ?? defaultThreads();
  try {
    const raw = await native.load(arch, tensors, { backend: opts.backend, threads, gpuDirs: opts.backend === 'gpu' ? gpuBinDirs() : [] });
    return new NativeVqganModel(raw, arch);
  } catch (err) {
    throw toAppError(err);
  }
}

/** Which ggml CPU variant the addon picked and where the ggml libraries were loaded from. */
export function nativeGgmlInfo(): { cpuVariant: string; loadedFrom: string } {
  return loadAddon().ggmlInfo();
}

/**
 * ggml's own quantizer (ggml_quantize_chunk) and reader (its type traits' to_float), through the
 * same libggml-base the VQ-GAN uses. Unknown types and types needing an importance matrix are
 * refused with models.quantizeUnsupported before ggml could abort the process.
 */
export const ggmlQuantizer = {
  /** rows × perRow f32 values → rows × rowSize(type, perRow) bytes. */
  async quantize(type: number, values: Float32Array, rows: number, perRow: number): Promise<Uint8Array> {
    try {
      return await loadAddon().quantize(type, values, rows, perRow);
    } catch (err) {
      throw toAppError(err);
    }
  },
  /** `count` values of `type` (whole blocks) → f32. */
  async dequantize(type: number, bytes: Uint8Array, count: number): Promise<Float32Array> {
    try {
      return await loadAddon().dequantize(type, bytes, count);
    } catch (err) {
      throw toAppError(err);
    }
  },
  typeInfo(type: number): GgmlTypeInfo {
    try {
      return loadAddon().ggmlType(type);
    } catch (err) {
      throw toAppError(err);
    }
  },
  /** Bytes of one row of `perRow` values (ggml_row_size); perRow must be whole blocks. */
  rowSize(type: number, perRow: number): number {
    try {
      return loadAddon().rowSize(type, perRow);
    } catch (err) {
      throw toAppError(err);
    }
  },
};

/** node-llama-cpp's libllama beside its libggml-base: libllama.v0.4.0.so, libllama.dylib, llama.dll. */
function libllamaPath(): string {
  const dir = ggmlBaseDir();
  const name = readdirSync(dir).find((f) => /^(lib)?llama(\.v[\d.]+)?\.(so|dylib|dll)$/.test(f));
  if (!name) throw new AppError('vqgan.backendUnavailable', `node-llama-cpp's libllama was not found in ${dir}.`);
  return path.join(dir, name);
}

/**
 * llama.cpp's own llama_model_quantize (its llama-quantize tool's code and per-tensor type mix)
 * from node-llama-cpp's libllama: `input` GGUF (F32/F16/BF16) → `output` GGUF of `llamaFtype`
 * (llama.h's LLAMA_FTYPE_*, e.g. 15 = Q4_K_M). Runs on a worker thread; llama.cpp has no cancel hook.
 */
export async function quantizeGgufFile(input: string, output: string, llamaFtype: number, threads = defaultThreads()): Promise<void> {
  try {
    await loadAddon().quantizeModel(libllamaPath(), input, output, llamaFtype, threads);
  } catch (err) {
    throw toAppError(err);
  }
}
