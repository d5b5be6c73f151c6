// Writes one assistant answer while it streams. append() only concatenates; the text reaches the
// row on a bounded interval (a timer, or sooner once enough text is pending) and on finish, so a
// kill -9 at any moment leaves the row with the text up to at most one interval ago. The first
// delta is written at once, so the answer is never empty on disk once a token has arrived.
import type { FinishStatus, GeneratedImagePart, Message, MessageTimings, TokenCounts } from '../contract/chat.ts';
import type { ErrorData } from '../contract/errors.ts';
import { AppError } from '../contract/errors.ts';

export interface StreamingFlushPolicy {
  /** Longest time appended text may stay only in memory. */
  intervalMs: number;
  /** Write at once when this much text is pending, whatever the timer says. */
  maxPendingChars: number;
}

export const DEFAULT_FLUSH_POLICY: StreamingFlushPolicy = { intervalMs: 250, maxPendingChars: 4096 };

export interface StreamOutcome {
  tokens?: TokenCounts;
  timings?: MessageTimings;
  /** The seed actually used, when the engine drew one. */
  seed?: number;
}

/** What the writer needs from the store: narrow, so the writer holds no SQL of its own. */
export interface StreamingSink {
  writeText(partId: number, text: string): void;
  /** Appends a generated image part and a fresh text part after it; returns the text part's id. */
  addImage(messageId: number, part: GeneratedImagePart): number;
  end(messageId: number, partId: number, text: string, status: FinishStatus | 'error' | 'interrupted', outcome: StreamOutcome, error?: ErrorData): Message | undefined;
  released(writer: StreamingMessageWriter): void;
}

export class StreamingMessageWriter {
  readonly messageId: number;
  #partId: number;
  /** The text of the parts before the current text part (an answer with images has several). */
  #before = '';
  readonly #sink: StreamingSink;
  readonly #policy: StreamingFlushPolicy;
  #chunks: string[] = [];
  #text = '';
  #pendingChars = 0;
  #written = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;

  /** `text`: what the part already holds (an answer being continued); appends go after it. */
  constructor(messageId: number, partId: number, sink: StreamingSink, policy: StreamingFlushPolicy, text = '') {
    this.messageId = messageId;
    this.#text = text;
    this.#partId = partId;
    this.#sink = sink;
    this.#policy = policy;
  }

  /** The whole text so far, flushed or not. */
  get text(): string {
    this.#join();
    return this.#before + this.#text;
  }

  /** A generated image ends the current text part; text after it goes to a new one. */
  appendImage(part: GeneratedImagePart): void {
    if (this.#ended) throw new AppError('store.conflict', 'This message has already ended', { messageId: this.messageId });
    this.flush();
    this.#partId = this.#sink.addImage(this.messageId, part);
    this.#before += this.#text;
    this.#text = '';
  }

  get ended(): boolean {
    return this.#ended;
  }

  append(delta: string): void {
    if (this.#ended) throw new AppError('store.conflict', 'This message has already ended', { messageId: this.messageId });
    if (delta === '') return;
    const first = this.#before === '' && this.#text === '' && this.#chunks.length === 0;
    this.#chunks.push(delta);
    this.#pendingChars += delta.length;
    this.#written = false;
    if (first || this.#pendingChars >= this.#policy.maxPendingChars) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#policy.intervalMs);
      // A pending flush must not keep a finished process alive; dispose() flushes anyway.
      this.#timer.unref?.();
    }
  }

  /** Write the pending text to the row now. */
  flush(): void {
    this.#clearTimer();
    if (this.#ended || this.#written) return;
    this.#join();
    this.#sink.writeText(this.#partId, this.#text);
    this.#pendingChars = 0;
    this.#written = true;
  }

  /** The stream ended normally ('complete') or the user stopped it ('stopped'). */
  finish(status: FinishStatus, outcome: StreamOutcome = {}): Message | undefined {
    return this.#end(status, outcome);
  }

  /** Generation failed; the text so far is kept next to the error. */
  fail(error: ErrorData, outcome: StreamOutcome = {}): Message | undefined {
    return this.#end('error', outcome, error);
  }

  /** The store is closing mid-stream: keep the text, mark it interrupted. */
  interrupt(): Message | undefined {
    return this.#end('interrupted', {});
  }

  #end(status: FinishStatus | 'error' | 'interrupted', outcome: StreamOutcome, error?: ErrorData): Message | undefined {
    if (this.#ended) throw new AppError('store.conflict', 'This message has already ended', { messageId: this.messageId });
    this.#clearTimer();
    this.#join();
    this.#ended = true;
    this.#sink.released(this);
    return this.#sink.end(this.messageId, this.#partId, this.#text, status, outcome, error);
  }

  #join(): void {
    if (this.#chunks.length === 0) return;
    this.#text += this.#chunks.join('');
    this.#chunks = [];
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
