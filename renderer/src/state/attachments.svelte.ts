// Images being attached in the composer: each file goes to main as one images.attach stream
// (stored, tokenized by the VQ-GAN in the engine host, codes cached) and comes back as the image
// part to put in the message. Also whether attaching is possible at all (the VQ-GAN weights), and
// the stored images shown in messages (images.get, cached per hash as data URLs).
import type { ImageCapability, ImageAttachPacket } from '../../../main/contract/api.ts';
import type { ApiClient, ApiStream } from '../../../main/contract/apiClient.ts';
import type { ImagePart } from '../../../main/contract/chat.ts';
import { TOKENS_PER_IMAGE } from '../../../main/contract/chameleon.ts';
import { toErrorData, type ErrorData } from '../../../main/contract/errors.ts';

export interface Attachment {
  id: number;
  fileName: string;
  /** A local object URL of the file, for the thumbnail while it is tokenized. */
  previewUrl: string;
  status: 'encoding' | 'ready' | 'error' | 'cancelled';
  stage: string;
  done: number;
  total: number;
  part?: ImagePart;
  /** The codes were already cached (this image was tokenized before): no encode ran. */
  cached?: boolean;
  error?: ErrorData;
}

export class AttachmentsStore {
  #capability = $state.raw<ImageCapability>({ available: false, tokensPerImage: TOKENS_PER_IMAGE });
  #items = $state<Record<number, Attachment>>({});

  readonly #client: ApiClient;
  readonly #off: () => void;
  // Bookkeeping, not UI state: the UI reads `items`.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  readonly #streams = new Map<number, ApiStream<ImageAttachPacket>>();
  readonly #waiters = new Map<number, Promise<ImagePart | undefined>>();
  readonly #urls = new Map<string, Promise<string>>();
  /* eslint-enable svelte/prefer-svelte-reactivity */
  #next = 1;

  constructor(client: ApiClient) {
    this.#client = client;
    this.#off = client.on('settings.changed', () => void this.refreshCapability());
  }

  get capability(): ImageCapability {
    return this.#capability;
  }

  async refreshCapability(): Promise<void> {
    try {
      this.#capability = await this.#client.call('images.capability', {});
    } catch (err) {
      this.#capability = { available: false, reason: toErrorData(err), tokensPerImage: TOKENS_PER_IMAGE };
    }
  }

  get(id: number): Attachment | undefined {
    return this.#items[id];
  }

  partOf(id: number): ImagePart | undefined {
    return this.#items[id]?.part;
  }

  /** Start tokenizing a file; returns its attachment id at once (progress lands in `items`). */
  add(file: Blob, fileName: string): number {
    const id = this.#next++;
    this.#items[id] = { id, fileName, previewUrl: URL.createObjectURL(file), status: 'encoding', stage: 'reading', done: 0, total: 1 };
    this.#waiters.set(id, this.#run(id, file, fileName));
    return id;
  }

  /** Resolves with the part once the codes exist (undefined when it failed or was cancelled). */
  ready(id: number): Promise<ImagePart | undefined> {
    return this.#waiters.get(id) ?? Promise.resolve(this.#items[id]?.part);
  }

  cancel(id: number): void {
    this.#streams.get(id)?.cancel();
  }

  /** Forget an attachment (removed from the draft, or sent). */
  remove(id: number): void {
    this.cancel(id);
    const a = this.#items[id];
    if (a) URL.revokeObjectURL(a.previewUrl);
    delete this.#items[id];
    this.#waiters.delete(id);
  }

  async #run(id: number, file: Blob, fileName: string): Promise<ImagePart | undefined> {
    const update = (patch: Partial<Attachment>): void => {
      const a = this.#items[id];
      if (a) Object.assign(a, patch);
    };
    try {
      const dataBase64 = await toBase64(file);
      if (!this.#items[id]) return undefined;
      const stream = this.#client.stream('images.attach', { dataBase64, fileName });
      this.#streams.set(id, stream);
      for await (const p of stream) {
        if (p.type === 'progress') update({ stage: p.stage, done: p.done, total: p.total });
        else if (p.type === 'success') {
          update({ status: 'ready', part: p.part, cached: p.cached, stage: 'done', done: 1, total: 1 });
          return p.part;
        } else {
          update({ status: p.error.code === 'vqgan.cancelled' ? 'cancelled' : 'error', error: p.error });
          return undefined;
        }
      }
      update({ status: 'error', error: { code: 'internal', message: 'The image stream ended without a result.' } });
    } catch (err) {
      update({ status: 'error', error: toErrorData(err) });
    } finally {
      this.#streams.delete(id);
    }
    return undefined;
  }

  /** A stored image as a data URL (for <img>), fetched once per hash. */
  imageUrl(imageHash: string): Promise<string> {
    let p = this.#urls.get(imageHash);
    if (!p) {
      p = this.#client.call('images.get', { imageHash }).then((r) => `data:${r.mime};base64,${r.dataBase64}`);
      p.catch(() => this.#urls.delete(imageHash));
      this.#urls.set(imageHash, p);
    }
    return p;
  }

  dispose(): void {
    this.#off();
    for (const id of Object.keys(this.#items)) this.remove(Number(id));
  }
}

async function toBase64(file: Blob): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsDataURL(file);
  });
  return url.slice(url.indexOf(',') + 1);
}
