// Sending, regenerating and editing: store the user message (or pick the parent), begin the
// assistant row (crash-safe streaming writer), build the turns from the branch, stream the answer
// with deltas coalesced per frame, and store the outcome. A stop keeps the text ('stopped'); a
// host crash or any failure keeps it too, next to the error ('error').
import type { GenerationPacket, GenerationStats, SamplingOverrides, StreamSink } from '../contract/api.ts';
import type { Message, MessagePart } from '../contract/chat.ts';
import { PAGE_LIMIT_MAX, messageText } from '../contract/chat.ts';
import type { ChatTurn, EngineStatus, GenerateRequestInput, GenerationResult, SamplingSettingsInput } from '../contract/engine.ts';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import type { GenerateOptions } from '../engine/engineClient.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { StreamingMessageWriter } from '../store/StreamingMessageWriter.ts';
import { FrameCoalescer } from './frameCoalescer.ts';

/** The slice of EngineClient generation needs. */
export interface GenerationEngine {
  generate(request: GenerateRequestInput, options?: GenerateOptions): Promise<GenerationResult>;
  getStatus(): EngineStatus;
}

export interface GenerationServiceOptions {
  store: ChatStore;
  engine: GenerationEngine;
  /** App defaults, then the chat's overrides; the request's overrides go on top. */
  samplingFor(conversationId: number): SamplingSettingsInput;
  /** A chat's messages changed (the sidebar re-sorts, titles update). */
  onChanged(conversationId: number): void;
  frameMs?: number;
}

type Sink = StreamSink<GenerationPacket>;

export class GenerationService {
  readonly #o: GenerationServiceOptions;
  /** The running answer of each chat, to stop it from anywhere (generation.stop). */
  readonly #running = new Map<number, AbortController>();
  readonly #tasks = new Set<Promise<void>>();

  constructor(options: GenerationServiceOptions) {
    this.#o = options;
  }

  async send(args: { conversationId: number; parentId: number | null; parts: MessagePart[]; sampling?: SamplingOverrides }, sink: Sink): Promise<void> {
    this.#assertIdle(args.conversationId);
    const user = this.#o.store.addUserMessage(args.conversationId, args.parentId, args.parts);
    this.#o.onChanged(args.conversationId);
    await this.#answer(user, args.sampling, sink, true);
  }

  async regenerate(args: { messageId: number; sampling?: SamplingOverrides }, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'assistant' || old.parentId === null) throw new AppError('api.badRequest', 'Only an answer can be regenerated.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    const user = this.#o.store.getMessage(old.parentId);
    await this.#answer(user, args.sampling, sink, false);
  }

  async edit(args: { messageId: number; parts: MessagePart[]; sampling?: SamplingOverrides }, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'user') throw new AppError('api.badRequest', 'Only a user message can be edited.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    const user = this.#o.store.addUserMessage(old.conversationId, old.parentId, args.parts);
    this.#o.onChanged(old.conversationId);
    await this.#answer(user, args.sampling, sink, true);
  }

  /** Stops the chat's running answer; false when none runs. */
  stop(conversationId: number): boolean {
    const controller = this.#running.get(conversationId);
    controller?.abort();
    return controller !== undefined;
  }

  /** Stops every running answer (shutdown); each keeps its text. */
  stopAll(): void {
    for (const controller of this.#running.values()) controller.abort();
  }

  get running(): number {
    return this.#running.size;
  }

  /** Resolves when no answer is running any more, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    if (this.#tasks.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.#tasks]), timeout]);
    clearTimeout(timer);
  }

  #assertIdle(conversationId: number): void {
    if (this.#running.has(conversationId)) {
      throw new AppError('engine.busy', 'This chat is already answering; stop it first.', { conversationId });
    }
  }

  #answer(user: Message, overrides: SamplingOverrides | undefined, sink: Sink, sendUser: boolean): Promise<void> {
    const task = this.#run(user, overrides, sink, sendUser);
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task)).catch(() => undefined);
    return task;
  }

  async #run(user: Message, overrides: SamplingOverrides | undefined, sink: Sink, sendUser: boolean): Promise<void> {
    const conversationId = user.conversationId;
    const controller = new AbortController();
    this.#running.set(conversationId, controller);
    const onCancel = (): void => controller.abort();
    sink.signal.addEventListener('abort', onCancel, { once: true });
    if (sink.signal.aborted) controller.abort();
    try {
      const sampling: SamplingSettingsInput = { ...this.#o.samplingFor(conversationId), ...overrides };
      const status = this.#o.engine.getStatus();
      const model = status.model ? { fileName: status.model.fileName, sizeBytes: status.model.sizeBytes } : undefined;
      const writer = this.#o.store.beginAssistantMessage(conversationId, user.id, {
        sampling: { ...sampling },
        ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
        ...(model ? { model } : {}),
      });
      const turns = this.#turns(conversationId, user.id);
      sink.send({ type: 'started', ...(sendUser ? { user } : {}), assistant: this.#o.store.getMessage(writer.messageId) });
      await this.#stream(writer, { sessionId: `chat-${conversationId}`, turns, sampling }, controller.signal, sink);
    } finally {
      sink.signal.removeEventListener('abort', onCancel);
      this.#running.delete(conversationId);
      this.#o.onChanged(conversationId);
    }
  }

  async #stream(writer: StreamingMessageWriter, request: GenerateRequestInput, signal: AbortSignal, sink: Sink): Promise<void> {
    const coalescer = new FrameCoalescer((text) => sink.send({ type: 'fragment', text }), this.#o.frameMs);
    let result: GenerationResult;
    try {
      result = await this.#o.engine.generate(request, {
        signal,
        onEvent: (event) => {
          if (event.type === 'delta') {
            writer.append(event.text);
            coalescer.push(event.text);
          } else if (event.type === 'promptProgress') {
            sink.send({ type: 'promptProgress', evaluated: event.evaluated, total: event.total });
          }
        },
      });
    } catch (err) {
      coalescer.flush();
      this.#fail(writer, toErrorData(err, 'engine.internal'), sink);
      return;
    }
    coalescer.flush();
    const stats: GenerationStats = { stopReason: result.stopReason, usage: result.usage, timings: result.timings, seed: result.seed };
    const outcome = {
      tokens: { prompt: result.usage.promptTokens, completion: result.usage.completionTokens },
      timings: result.timings,
      seed: result.seed,
    };
    if (result.stopReason === 'crashed') {
      const error: ErrorData = result.error ?? { code: 'engine.crashed', message: 'The inference process stopped unexpectedly.' };
      // The crash report's partial text may be ahead of what reached the writer; keep the longer.
      if (result.text.length > writer.text.length && result.text.startsWith(writer.text)) writer.append(result.text.slice(writer.text.length));
      this.#fail(writer, error, sink);
      return;
    }
    const message = writer.finish(result.stopReason === 'aborted' ? 'stopped' : 'complete', outcome);
    if (message) sink.send({ type: 'success', message, stats });
  }

  #fail(writer: StreamingMessageWriter, error: ErrorData, sink: Sink): void {
    const message = writer.ended ? undefined : writer.fail(error);
    sink.send(message ? { type: 'error', error, message } : { type: 'error', error });
  }

  /** The branch from the first message down to `leafId`, as engine turns (text parts only for now). */
  #turns(conversationId: number, leafId: number): ChatTurn[] {
    const messages: Message[] = [];
    let cursor: string | undefined;
    do {
      const page = this.#o.store.getActivePath(conversationId, { limit: PAGE_LIMIT_MAX, ...(cursor ? { cursor } : {}) });
      messages.unshift(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const end = messages.findIndex((m) => m.id === leafId);
    const branch = end === -1 ? messages : messages.slice(0, end + 1);
    const turns: ChatTurn[] = [];
    for (const m of branch) {
      if (m.role === 'system') continue;
      const text = messageText(m.parts);
      if (text === '') continue;
      turns.push({ role: m.role, segments: [{ type: 'text', text }] });
    }
    return turns;
  }
}
