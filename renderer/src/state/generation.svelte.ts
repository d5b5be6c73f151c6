// One running answer, owned by its chat: the packets of one messages.send / regenerate / edit
// stream land here whether or not its chat is on screen, so switching chats never freezes, steals
// or stops another chat's answer (issue 15, defect 5).
import type { GenerationPacket, GenerationStats } from '../../../main/contract/api.ts';
import type { ApiStream } from '../../../main/contract/apiClient.ts';
import { messageText, type GeneratedImagePart, type Message } from '../../../main/contract/chat.ts';
import { estimateTextTokens } from '../lib/draftParts.ts';

export class Generation {
  readonly conversationId: number;
  #assistantId = $state<number | undefined>(undefined);
  #text = $state('');
  #promptProgress = $state.raw<{ evaluated: number; total: number } | undefined>(undefined);
  #imageProgress = $state.raw<{ imageHash: string; stage: string; done: number; total: number } | undefined>(undefined);
  #firstFragmentAt: number | undefined;
  /** Characters of a continued answer that were there before this run (not counted in the speed). */
  #base = 0;
  #liveRate = $state<number | undefined>(undefined);
  #stats = $state.raw<GenerationStats | undefined>(undefined);
  /** The image being drawn: the latest preview (a PNG data URL) and how many of its 1024 codes are done. */
  #drawing = $state.raw<{ index: number; codes: number; url?: string } | undefined>(undefined);
  /** Images this answer finished (or stopped) so far, stored; the final message lists them in place. */
  #images = $state.raw<GeneratedImagePart[]>([]);
  readonly #stream: ApiStream<GenerationPacket>;

  constructor(conversationId: number, stream: ApiStream<GenerationPacket>) {
    this.conversationId = conversationId;
    this.#stream = stream;
  }

  get stream(): ApiStream<GenerationPacket> {
    return this.#stream;
  }
  /** The assistant row being streamed (known from `started` on). */
  get assistantId(): number | undefined {
    return this.#assistantId;
  }
  get text(): string {
    return this.#text;
  }
  get promptProgress(): { evaluated: number; total: number } | undefined {
    return this.#promptProgress;
  }
  get imageProgress(): { imageHash: string; stage: string; done: number; total: number } | undefined {
    return this.#imageProgress;
  }
  /** Tokens per second while answering, estimated from the text (the exact figure comes with `success`). */
  get liveRate(): number | undefined {
    return this.#liveRate;
  }
  get stats(): GenerationStats | undefined {
    return this.#stats;
  }
  get drawing(): { index: number; codes: number; url?: string } | undefined {
    return this.#drawing;
  }
  get images(): readonly GeneratedImagePart[] {
    return this.#images;
  }

  imageStarted(index: number): void {
    this.#promptProgress = undefined;
    this.#drawing = { index, codes: 0 };
  }

  /** Latest wins: an older preview arriving late never replaces a newer one. */
  previewed(packet: Extract<GenerationPacket, { type: 'imagePreview' }>): void {
    if (this.#drawing && this.#drawing.index === packet.index && this.#drawing.codes > packet.codes) return;
    this.#drawing = { index: packet.index, codes: packet.codes, url: `data:image/png;base64,${packet.dataBase64}` };
  }

  imageDone(part: GeneratedImagePart): void {
    this.#images = [...this.#images, part];
    this.#drawing = undefined;
  }

  /** A continued answer starts with its text so far; a new one with none. */
  started(assistant: Message): void {
    this.#assistantId = assistant.id;
    this.#text = messageText(assistant.parts);
    this.#base = this.#text.length;
  }

  progress(packet: Extract<GenerationPacket, { type: 'promptProgress' | 'imageProgress' }>): void {
    if (packet.type === 'imageProgress') this.#imageProgress = { imageHash: packet.imageHash, stage: packet.stage, done: packet.done, total: packet.total };
    else {
      this.#imageProgress = undefined;
      this.#promptProgress = { evaluated: packet.evaluated, total: packet.total };
    }
  }

  /** Text of one coalesced frame; `now` in ms (performance.now()). */
  append(text: string, now: number): void {
    this.#promptProgress = undefined;
    this.#text += text;
    this.#firstFragmentAt ??= now;
    const seconds = (now - this.#firstFragmentAt) / 1000;
    if (seconds >= 0.25) this.#liveRate = estimateTextTokens(this.#text.slice(this.#base)) / seconds;
  }

  finished(stats: GenerationStats | undefined): void {
    this.#stats = stats;
    this.#promptProgress = undefined;
    this.#imageProgress = undefined;
  }

  cancel(): void {
    this.#stream.cancel();
  }
}
