// The VQ-GAN inside the host process: the tokenizer is opened once per weights path (weights read,
// native model built, weights content-hashed for the codes cache key) and reused for every image.
// Runs on the host's one request queue, so an encode never overlaps a model load or a generation:
// both are CPU/GPU-heavy and share the same cores; a message waits for its codes before its
// prefill anyway, so serialising them costs the user nothing in the common flow.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { IMAGE_CODES_PER_IMAGE } from '../../contract/chameleon.ts';
import { AppError } from '../../contract/errors.ts';
import { VqganTokenizer } from '../../images/vqgan/vqgan.ts';
import { checkVqganWeights } from '../../images/vqgan/weights/loadWeights.ts';
import type { ImageEncodeResult } from '../protocol.ts';

async function hashFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

interface Opened {
  weightsPath: string;
  tokenizer: VqganTokenizer;
  weightsSha256: string;
}

export class ImageEncoder {
  #opened: Opened | null = null;
  /** How many images this host has encoded (diagnostics; tests count cache misses with it). */
  encodes = 0;

  async #open(weightsPath: string): Promise<{ opened: Opened; loadMs: number }> {
    if (this.#opened?.weightsPath === weightsPath) return { opened: this.#opened, loadMs: 0 };
    this.dispose();
    const t0 = performance.now();
    const { files } = await checkVqganWeights(weightsPath);
    // Every core: an encode runs on the host's one request queue, so the LLM is idle meanwhile.
    const [tokenizer, weightsSha256] = await Promise.all([VqganTokenizer.open(weightsPath, { threads: availableParallelism() }), this.#hashes.get(weightsPath) ?? hashFiles(files)]);
    this.#hashes.set(weightsPath, weightsSha256);
    const [rows, cols] = tokenizer.grid;
    if (rows * cols !== IMAGE_CODES_PER_IMAGE || tokenizer.arch.nEmbed > 8192) {
      tokenizer.dispose();
      throw new AppError('vqgan.weightsInvalid', `These VQ-GAN weights make ${rows * cols} codes from a ${tokenizer.arch.nEmbed}-entry codebook per image; Chameleon needs ${IMAGE_CODES_PER_IMAGE} codes from 8192.`, {
        codes: rows * cols,
        codebook: tokenizer.arch.nEmbed,
      });
    }
    this.#opened = { weightsPath, tokenizer, weightsSha256 };
    return { opened: this.#opened, loadMs: performance.now() - t0 };
  }

  readonly #hashes = new Map<string, string>();

  /**
   * The weights' content hash, the codes cache key, without building the native model: a history
   * whose codes are all cached never pays for loading the tokenizer.
   */
  async weightsSha256(weightsPath: string): Promise<string> {
    if (this.#opened?.weightsPath === weightsPath) return this.#opened.weightsSha256;
    const known = this.#hashes.get(weightsPath);
    if (known) return known;
    const { files } = await checkVqganWeights(weightsPath);
    const hash = await hashFiles(files);
    this.#hashes.set(weightsPath, hash);
    return hash;
  }

  async encode(weightsPath: string, image: Uint8Array, signal: AbortSignal, onProgress: (stage: string, done: number, total: number) => void): Promise<ImageEncodeResult> {
    if (signal.aborted) throw new AppError('vqgan.cancelled', 'The image encoding was cancelled.');
    onProgress('load', 0, 1);
    const { opened, loadMs } = await this.#open(weightsPath);
    onProgress('load', 1, 1);
    const out = await opened.tokenizer.encodeImage(image, { signal, onProgress });
    this.encodes++;
    return { codes: Array.from(out.codes), weightsSha256: opened.weightsSha256, backend: out.backend, ms: { load: loadMs, ...out.ms } };
  }

  /**
   * Codes → PNG with the same opened VQ-GAN (generated images and their previews). The decode runs
   * on the addon's worker threads, so the generator keeps sampling while it runs.
   */
  async decodePng(weightsPath: string, codes: Int32Array, signal?: AbortSignal): Promise<{ png: Uint8Array; ms: number }> {
    const { opened } = await this.#open(weightsPath);
    const out = await opened.tokenizer.decodeToPng(codes, signal ? { signal } : {});
    return { png: new Uint8Array(out.png.buffer, out.png.byteOffset, out.png.byteLength), ms: out.ms.decode + out.ms.postprocess };
  }

  /** The last decode's duration: what the next preview is expected to cost. */
  #lastDecodeMs = 0;

  /** decodePng for the generator, remembering how long decodes take (the preview throttle prices them). */
  pngDecoder(weightsPath: string): { decode(codes: Int32Array): Promise<Uint8Array>; lastMs(): number } {
    return {
      decode: async (codes) => {
        const out = await this.decodePng(weightsPath, codes);
        this.#lastDecodeMs = out.ms;
        return out.png;
      },
      lastMs: () => this.#lastDecodeMs,
    };
  }

  dispose(): void {
    this.#opened?.tokenizer.dispose();
    this.#opened = null;
  }
}
