// Generated images leaving the API: the decoder weights an answer that draws needs (refused up
// front, with the reason, when the model cannot draw), and each finished image stored like one
// the chat made — content-addressed with its codes in the codes cache — so a client sending it
// back as an image_url in the next request gets the very codes, never a re-encode.
import type { GenerationEvent } from '../../contract/engine.ts';
import type { ImageService } from '../../services/imageService.ts';

export interface ImageOutput {
  /** The VQ-GAN decoder weights; throws model.noImageOutput when the loaded model cannot draw. */
  weightsPath(): string;
  remember(png: Uint8Array, codes: readonly number[], partial: boolean): Promise<void>;
}

export function serviceImageOutput(images: ImageService): ImageOutput {
  return {
    weightsPath: () => images.outputWeights(),
    remember: async (png, codes, partial) => {
      await images.storeGenerated(png, codes, partial);
    },
  };
}

export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** One piece of an answer, in order: OpenAI's content parts. */
export type AnswerPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** Collects an answer's text and images in the order they came, storing each image. */
export class AnswerParts {
  readonly parts: AnswerPart[] = [];
  #stored: Promise<void>[] = [];
  readonly #output: ImageOutput | undefined;

  constructor(output: ImageOutput | undefined) {
    this.#output = output;
  }

  /** Applies one engine event; returns the content delta it makes (a string or one image part), if any. */
  push(event: GenerationEvent): string | AnswerPart | undefined {
    if (event.type === 'delta' && event.text !== '') {
      const last = this.parts.at(-1);
      if (last?.type === 'text') last.text += event.text;
      else this.parts.push({ type: 'text', text: event.text });
      return event.text;
    }
    if (event.type === 'image' && event.png) {
      if (this.#output) this.#stored.push(this.#output.remember(event.png, event.codes, event.partial));
      const part: AnswerPart = { type: 'image_url', image_url: { url: pngDataUrl(event.png) } };
      this.parts.push(part);
      return part;
    }
    return undefined;
  }

  get hasImages(): boolean {
    return this.parts.some((p) => p.type === 'image_url');
  }

  /** Waits until every image is stored (a follow-up may send one back at once). */
  async settled(): Promise<void> {
    await Promise.all(this.#stored);
  }
}
