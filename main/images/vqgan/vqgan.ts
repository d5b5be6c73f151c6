// VqganTokenizer: the image tokenizer as the rest of the app sees it. Weights are read and handed
// to the native addon once (open), after which every encode/decode pays only for the maths.
// Owned by whoever opened it; dispose() frees the native model.
import { AppError } from '../../contract/errors.ts';
import { pixelsToPng } from '../postprocess.ts';
import { preprocessImage } from '../preprocess.ts';
import type { Resampler } from '../preprocess.ts';
import { loadNativeVqgan } from './nativeAddon.ts';
import type { NativeBackendChoice, NativeVqgan, ProgressCallback, VqganArchitecture } from './nativeAddon.ts';
import { loadVqganWeights } from './weights/loadWeights.ts';
import type { WeightsFormat } from './weights/loadWeights.ts';

export interface OpenOptions {
  /** vqgan.yaml or HF config.json; optional */
  config?: string;
  backend?: NativeBackendChoice;
  threads?: number;
}

export interface EncodeImageOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** input already is resolution×resolution: normalisation only */
  preprocessed?: boolean;
  resampler?: Resampler;
  maxPixels?: number;
}

export interface EncodeImageResult {
  codes: Int32Array;
  grid: [number, number];
  backend: string;
  ms: { preprocess: number; encode: number; quantize: number };
}

export interface DecodeOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface DecodeToPngResult {
  png: Buffer;
  backend: string;
  ms: { decode: number; postprocess: number };
}

export class VqganTokenizer {
  readonly arch: Readonly<VqganArchitecture>;
  readonly format: WeightsFormat;
  /** milliseconds spent reading the weights and building the native model */
  readonly loadMs: number;
  #native: NativeVqgan | undefined;

  private constructor(native: NativeVqgan, format: WeightsFormat, loadMs: number) {
    this.#native = native;
    this.arch = native.arch;
    this.format = format;
    this.loadMs = loadMs;
  }

  static async open(weightsPath: string, opts: OpenOptions = {}): Promise<VqganTokenizer> {
    const t0 = performance.now();
    const weights = await loadVqganWeights(weightsPath, opts.config === undefined ? {} : { configPath: opts.config });
    const loadOpts = opts.threads === undefined ? { backend: opts.backend ?? 'auto' } : { backend: opts.backend ?? 'auto', threads: opts.threads };
    const native = await loadNativeVqgan(weights.arch, weights.tensors, loadOpts);
    return new VqganTokenizer(native, weights.format, performance.now() - t0);
  }

  get backend(): string {
    return this.#model().backend;
  }

  /** Codes per image: the latent grid is resolution / 2^(levels-1) on each side. */
  get grid(): [number, number] {
    const side = this.arch.resolution / 2 ** (this.arch.chMult.length - 1);
    return [side, side];
  }

  #model(): NativeVqgan {
    if (!this.#native) throw new AppError('vqgan.internal', 'The VQ-GAN tokenizer was disposed.');
    return this.#native;
  }

  /** Encode raw model input (1×3×R×R float32 in [-1, 1]). */
  async encodePixels(pixels: Float32Array, opts: DecodeOptions = {}): Promise<EncodeImageResult> {
    const model = this.#model();
    if (!this.arch.hasEncoder) throw new AppError('vqgan.weightsInvalid', 'These VQ-GAN weights have no encoder, so images cannot be tokenized.');
    const out = await model.encode(pixels, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    return { codes: out.codes, grid: out.grid, backend: model.backend, ms: { preprocess: 0, ...out.ms } };
  }

  /** Image file or bytes → codes (row-major over the latent grid). */
  async encodeImage(input: string | Uint8Array, opts: EncodeImageOptions = {}): Promise<EncodeImageResult> {
    this.#model();
    if (opts.signal?.aborted) throw new AppError('vqgan.cancelled', 'The image operation was cancelled.');
    const t0 = performance.now();
    opts.onProgress?.('preprocess', 0, 1);
    const pre = await preprocessImage(input, {
      resolution: this.arch.resolution,
      ...(opts.preprocessed !== undefined ? { preprocessed: opts.preprocessed } : {}),
      ...(opts.resampler ? { resampler: opts.resampler } : {}),
      ...(opts.maxPixels !== undefined ? { maxPixels: opts.maxPixels } : {}),
    });
    const preprocessMs = performance.now() - t0;
    opts.onProgress?.('preprocess', 1, 1);
    const out = await this.encodePixels(pre.pixels, opts);
    out.ms.preprocess = preprocessMs;
    return out;
  }

  /** Raw decoder output (1×3×R×R, unclamped) for codes. */
  async decodePixels(codes: Int32Array, opts: DecodeOptions = {}): Promise<{ pixels: Float32Array; ms: { decode: number } }> {
    const model = this.#model();
    if (!this.arch.hasDecoder) {
      throw new AppError('vqgan.noDecoder', 'These VQ-GAN weights have no decoder (Hugging Face chameleon checkpoints ship the encoder only), so codes cannot be turned back into an image. Use weights that include the decoder, such as Meta\'s vqgan.ckpt.');
    }
    const [rows, cols] = this.grid;
    if (codes.length !== rows * cols) throw new AppError('vqgan.badCodes', `Expected ${rows * cols} codes (${rows}×${cols}), got ${codes.length}.`, { expected: rows * cols, got: codes.length });
    const bad = codes.findIndex((c) => c < 0 || c >= this.arch.nEmbed);
    if (bad >= 0) throw new AppError('vqgan.badCodes', `Code ${codes[bad]} at position ${bad} is outside the codebook (0…${this.arch.nEmbed - 1}).`, { position: bad, code: codes[bad] });
    const out = await model.decode(codes, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    return { pixels: out.pixels, ms: out.ms };
  }

  /** Codes → PNG with the reference's postprocessing. */
  async decodeToPng(codes: Int32Array, opts: DecodeOptions = {}): Promise<DecodeToPngResult> {
    const out = await this.decodePixels(codes, opts);
    const t0 = performance.now();
    const r = this.arch.resolution;
    const png = await pixelsToPng(out.pixels, r, r);
    return { png, backend: this.backend, ms: { decode: out.ms.decode, postprocess: performance.now() - t0 } };
  }

  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }
}
