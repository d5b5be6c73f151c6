// Attached images from the UI and the local server: check and store the bytes once (content
// address), and turn a stored image into its 1024 codes through the codes cache, encoding in the
// engine host only on a miss. The one place that knows which VQ-GAN weights are in use.
import { IMAGE_CODES_PER_IMAGE, TOKENS_PER_IMAGE } from '../contract/chameleon.ts';
import type { ImageCapability } from '../contract/api.ts';
import type { GeneratedImagePart, ImagePart } from '../contract/chat.ts';
import type { ModelInfo } from '../contract/engine.ts';
import { padCodes } from '../engine/imageSampler.ts';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { EncodeImageOptions } from '../engine/engineClient.ts';
import type { ImageEncodeResult } from '../engine/protocol.ts';
import { inspectImage } from '../images/inspectImage.ts';
import type { ImageStore } from '../store/ImageStore.ts';

/** The slice of EngineClient images need. */
export interface ImageEngine {
  encodeImage(weightsPath: string, image: Uint8Array, options?: EncodeImageOptions): Promise<ImageEncodeResult>;
  imageWeightsId(weightsPath: string): Promise<string>;
}

export interface ImageServiceOptions {
  images: ImageStore;
  engine: ImageEngine;
  /** The VQ-GAN weights chosen in the settings, read at each use (settings can change). */
  weightsPath(): string | undefined;
  /** The loaded model, for whether it can draw; absent: image output is never offered. */
  model?(): ModelInfo | undefined;
}

export class ImageService {
  readonly #o: ImageServiceOptions;
  /** Images encoded by this service (cache misses); tests and benchmarks read it. */
  encodes = 0;

  constructor(options: ImageServiceOptions) {
    this.#o = options;
  }

  capability(): ImageCapability {
    const weights = this.#o.weightsPath();
    const output = this.#outputRefusal();
    const outputState = { output: output ? { available: false, reason: output.toData() } : { available: true } };
    if (!weights) return { available: false, reason: missingWeights().toData(), tokensPerImage: TOKENS_PER_IMAGE, ...outputState };
    return { available: true, tokensPerImage: TOKENS_PER_IMAGE, ...outputState };
  }

  /** Why the loaded model cannot draw now (no aliases, no VQ-GAN weights); undefined when it can. */
  #outputRefusal(): AppError | undefined {
    const model = this.#o.model?.();
    if (!model) return new AppError('model.notLoaded', 'No model is loaded.');
    if (!model.imageAliases) {
      return new AppError('model.noImageOutput', 'This GGUF cannot draw: it has no image aliases. Make it image-capable with Anole\'s image head in the model settings.');
    }
    if (!this.#o.weightsPath()) return new AppError('model.noImageOutput', 'Drawing needs the VQ-GAN weights with a decoder (vqgan.ckpt): choose them in Settings.');
    return undefined;
  }

  /** The decoder weights for an answer with images; throws the reason when the model cannot draw. */
  outputWeights(): string {
    const refusal = this.#outputRefusal();
    if (refusal) throw refusal;
    return this.#weights();
  }

  /**
   * Stores a generated image (the decoder's PNG) and its codes, under the decoder weights' hash:
   * a follow-up turn finds them in the codes cache and never re-encodes. A stopped image keeps
   * only the codes it got; it is shown, and read back into prompts, padded with its first code.
   */
  async storeGenerated(png: Uint8Array, codes: readonly number[], partial: boolean): Promise<GeneratedImagePart> {
    const weightsSha256 = await this.#o.engine.imageWeightsId(this.#weights());
    const info = await inspectImage(png);
    const record = this.#o.images.put(png, info);
    this.#o.images.putCodes(record.sha256, weightsSha256, codes);
    return { kind: 'generatedImage', imageHash: record.sha256, mime: record.mime, width: record.width, height: record.height, ...(partial ? { partial: true } : {}) };
  }

  /** Check and store the bytes (once per content); the part a message then references. */
  async store(bytes: Uint8Array): Promise<ImagePart> {
    const info = await inspectImage(bytes);
    const record = this.#o.images.put(bytes, info);
    return { kind: 'image', imageHash: record.sha256, mime: record.mime, width: record.width, height: record.height };
  }

  /** Store and encode now, so sending later is a cache hit; progress and cancel for the composer. */
  async attach(bytes: Uint8Array, options: EncodeImageOptions = {}): Promise<{ part: ImagePart; cached: boolean }> {
    this.#weights();
    const part = await this.store(bytes);
    const before = this.encodes;
    await this.codesFor(part.imageHash, options);
    return { part, cached: this.encodes === before };
  }

  /** The image's codes under the current weights: from the cache, else encoded once and cached. */
  async codesFor(imageHash: string, options: EncodeImageOptions = {}): Promise<number[]> {
    const weightsPath = this.#weights();
    const weightsSha256 = await this.#o.engine.imageWeightsId(weightsPath);
    const cached = this.#o.images.codes(imageHash, weightsSha256);
    // Shorter than a grid: a generated image stopped mid-way (storeGenerated), read as shown.
    if (cached) return Array.from(cached.length < IMAGE_CODES_PER_IMAGE ? padCodes(Array.from(cached), IMAGE_CODES_PER_IMAGE) : cached);
    const bytes = this.#o.images.read(imageHash);
    let result: ImageEncodeResult;
    try {
      result = await this.#o.engine.encodeImage(weightsPath, bytes, options);
    } catch (err) {
      const data = toErrorData(err, 'vqgan.internal');
      throw new AppError(data.code, data.message, { ...data.details, imageHash });
    }
    this.encodes++;
    if (result.codes.length !== IMAGE_CODES_PER_IMAGE) throw new AppError('vqgan.badCodes', `The tokenizer made ${result.codes.length} codes; Chameleon needs ${IMAGE_CODES_PER_IMAGE}.`);
    this.#o.images.putCodes(imageHash, result.weightsSha256, result.codes);
    return result.codes;
  }

  /** The stored bytes of an image, for showing it. */
  read(imageHash: string): { mime: string; bytes: Buffer } {
    return { mime: this.#o.images.get(imageHash).mime, bytes: this.#o.images.read(imageHash) };
  }

  #weights(): string {
    const path = this.#o.weightsPath();
    if (!path) throw missingWeights();
    return path;
  }
}

function missingWeights(): AppError {
  return new AppError('image.tokenizerMissing', 'Images need the VQ-GAN image tokenizer: choose its weights file (vqgan.ckpt or a .safetensors) in Settings. Text chat works without it.');
}
