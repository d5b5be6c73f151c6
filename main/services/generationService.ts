// Sending, regenerating and editing: build the turns from the branch (images → their cached or
// freshly encoded codes) and fit them to the context (contextBudget.ts) BEFORE anything is
// written, so a refused message (bad image, no tokenizer, too long, cancelled encode) leaves no
// row behind; then store the user message (or pick the parent), begin the assistant row
// (crash-safe streaming writer), stream the answer with deltas coalesced per frame, and store the
// outcome. A stop keeps the text ('stopped'); a host crash or any failure keeps it too, next to
// the error ('error').
import type { GenerationPacket, GenerationStats, StreamSink } from '../contract/api.ts';
import type { SamplingOverrides } from '../contract/engine.ts';
import { DEFAULT_SAMPLING } from '../contract/chameleon.ts';
import type { Message, MessagePart } from '../contract/chat.ts';
import { PAGE_LIMIT_MAX } from '../contract/chat.ts';
import type { ChatTurn, EngineStatus, GenerateRequestInput, GenerationResult, PromptSegment, SamplingSettingsInput } from '../contract/engine.ts';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import type { GenerateOptions } from '../engine/engineClient.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { MessageEngine } from '../contract/remoteEngines.ts';
import type { StreamingMessageWriter } from '../store/StreamingMessageWriter.ts';
import { ANSWER_RESERVE, fitTurns } from './contextBudget.ts';
import { FrameCoalescer } from './frameCoalescer.ts';
import type { ImageService } from './imageService.ts';

/** The slice of EngineClient generation needs. */
export interface GenerationEngine {
  generate(request: GenerateRequestInput, options?: GenerateOptions): Promise<GenerationResult>;
  getStatus(): EngineStatus;
  countTokens(turns: ChatTurn[]): Promise<number>;
  /** Which engine and model answer now (recorded on each answer). */
  identity?(): MessageEngine;
}

interface Prepared {
  user: Message;
  turns: ChatTurn[];
  sendUser: boolean;
}

export interface GenerationServiceOptions {
  store: ChatStore;
  engine: GenerationEngine;
  /** App defaults, then the chat's overrides; the request's overrides go on top. */
  samplingFor(conversationId: number): SamplingSettingsInput;
  /** A chat's messages changed (the sidebar re-sorts, titles update). */
  onChanged(conversationId: number): void;
  /** Images → codes; without it a message with an image is refused (image.tokenizerMissing). */
  images?: ImageService;
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
    await this.#answer(args.conversationId, args.sampling, sink, async (signal, sampling) => {
      const history = args.parentId === null ? [] : await this.#turns(args.conversationId, args.parentId, signal, sink);
      const turns = await this.#fit([...history, ...(await this.#turnsOf([{ role: 'user', parts: args.parts }], signal, sink))], sampling);
      const user = this.#o.store.addUserMessage(args.conversationId, args.parentId, args.parts);
      this.#o.onChanged(args.conversationId);
      return { user, turns, sendUser: true };
    });
  }

  async regenerate(args: { messageId: number; sampling?: SamplingOverrides }, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'assistant' || old.parentId === null) throw new AppError('api.badRequest', 'Only an answer can be regenerated.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    const user = this.#o.store.getMessage(old.parentId);
    await this.#answer(old.conversationId, args.sampling, sink, async (signal, sampling) => ({
      user,
      turns: await this.#fit(await this.#turns(old.conversationId, user.id, signal, sink), sampling),
      sendUser: false,
    }));
  }

  async edit(args: { messageId: number; parts: MessagePart[]; sampling?: SamplingOverrides }, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'user') throw new AppError('api.badRequest', 'Only a user message can be edited.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    await this.#answer(old.conversationId, args.sampling, sink, async (signal, sampling) => {
      const history = old.parentId === null ? [] : await this.#turns(old.conversationId, old.parentId, signal, sink);
      const turns = await this.#fit([...history, ...(await this.#turnsOf([{ role: 'user', parts: args.parts }], signal, sink))], sampling);
      const user = this.#o.store.addUserMessage(old.conversationId, old.parentId, args.parts);
      this.#o.onChanged(old.conversationId);
      return { user, turns, sendUser: true };
    });
  }

  /**
   * The engine turns for the branch ending at `leafId`, images as their codes (cached or encoded),
   * before the context policy: what the context meter counts and what tests compare token by token.
   */
  promptTurns(conversationId: number, leafId: number, signal: AbortSignal = new AbortController().signal): Promise<ChatTurn[]> {
    return this.#turns(conversationId, leafId, signal, { send: () => undefined, signal });
  }

  /** The context meter's numbers for the branch ending at `leafId` (see generation.promptTokens). */
  async promptTokens(conversationId: number, leafId: number): Promise<{ promptTokens: number; images: number; contextSize: number | null }> {
    const turns = await this.promptTurns(conversationId, leafId);
    const images = turns.reduce((n, t) => n + t.segments.filter((s) => s.type === 'image').length, 0);
    const status = this.#o.engine.getStatus();
    return { promptTokens: await this.#o.engine.countTokens(turns), images, contextSize: status.model?.contextSize ?? null };
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

  #answer(conversationId: number, overrides: SamplingOverrides | undefined, sink: Sink, prepare: (signal: AbortSignal, sampling: SamplingSettingsInput) => Promise<Prepared>): Promise<void> {
    const task = this.#run(conversationId, overrides, sink, prepare);
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task)).catch(() => undefined);
    return task;
  }

  async #run(conversationId: number, overrides: SamplingOverrides | undefined, sink: Sink, prepare: (signal: AbortSignal, sampling: SamplingSettingsInput) => Promise<Prepared>): Promise<void> {
    const controller = new AbortController();
    this.#running.set(conversationId, controller);
    const onCancel = (): void => controller.abort();
    sink.signal.addEventListener('abort', onCancel, { once: true });
    if (sink.signal.aborted) controller.abort();
    try {
      const sampling: SamplingSettingsInput = { ...this.#o.samplingFor(conversationId), ...overrides };
      // Throws (nothing written) on a bad image, a cancelled encode or a message that cannot fit.
      const { user, turns, sendUser } = await prepare(controller.signal, sampling);
      const status = this.#o.engine.getStatus();
      const model = status.model ? { fileName: status.model.fileName, sizeBytes: status.model.sizeBytes } : undefined;
      const engine = this.#o.engine.identity?.();
      const writer = this.#o.store.beginAssistantMessage(conversationId, user.id, {
        sampling: { ...sampling },
        ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
        ...(model ? { model } : {}),
        ...(engine ? { engine } : {}),
      });
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

  /** The branch from the first message down to `leafId`, as engine turns (images as codes). */
  async #turns(conversationId: number, leafId: number, signal: AbortSignal, sink: Sink): Promise<ChatTurn[]> {
    const messages: Message[] = [];
    let cursor: string | undefined;
    do {
      const page = this.#o.store.getActivePath(conversationId, { limit: PAGE_LIMIT_MAX, ...(cursor ? { cursor } : {}) });
      messages.unshift(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const end = messages.findIndex((m) => m.id === leafId);
    if (end !== -1) return this.#turnsOf(messages.slice(0, end + 1), signal, sink);
    // A message off the shown branch (its turns are built before the new message makes its
    // branch the active one): walk up its parents.
    const branch: Message[] = [];
    for (let id: number | null = leafId; id !== null; ) {
      const m = this.#o.store.getMessage(id);
      branch.unshift(m);
      id = m.parentId;
    }
    return this.#turnsOf(branch, signal, sink);
  }

  /**
   * Messages → turns with their parts in order: adjacent text parts joined by a newline (as the
   * text-only history always was), each image its codes (cache, else encoded with progress).
   */
  async #turnsOf(messages: readonly Pick<Message, 'role' | 'parts'>[], signal: AbortSignal, sink: Sink): Promise<ChatTurn[]> {
    const turns: ChatTurn[] = [];
    for (const m of messages) {
      if (m.role === 'system') continue;
      const segments: PromptSegment[] = [];
      for (const part of m.parts) {
        if (part.kind === 'text') {
          if (part.text === '') continue;
          const prev = segments.at(-1);
          if (prev?.type === 'text') segments[segments.length - 1] = { type: 'text', text: `${prev.text}\n${part.text}` };
          else segments.push({ type: 'text', text: part.text });
        } else if (part.kind === 'image' && m.role === 'user') {
          if (!this.#o.images) throw new AppError('image.tokenizerMissing', 'This app was started without image input.');
          const imageHash = part.imageHash;
          const codes = await this.#o.images.codesFor(imageHash, {
            signal,
            onProgress: (stage, done, total) => sink.send({ type: 'imageProgress', imageHash, stage, done, total }),
          });
          segments.push({ type: 'image', codes });
        }
      }
      if (segments.length > 0) turns.push({ role: m.role, segments });
    }
    return turns;
  }

  /** Applies the context policy (contextBudget.ts) when a model is loaded and knows its context. */
  async #fit(turns: ChatTurn[], sampling: SamplingSettingsInput): Promise<ChatTurn[]> {
    const status = this.#o.engine.getStatus();
    // After a crash the host restarts with the same settings on this very request: the policy
    // applies to that context too (issue 15, defect 3), or a long chat overflows it.
    const contextSize = status.state === 'ready' || status.state === 'crashed' ? (status.model?.contextSize ?? status.settings?.contextSize) : undefined;
    if (contextSize === undefined || turns.length === 0) return turns;
    const maxTokens = sampling.maxTokens ?? DEFAULT_SAMPLING.maxTokens;
    const whole = await this.#o.engine.countTokens(turns);
    if (whole + Math.min(maxTokens, ANSWER_RESERVE) <= contextSize) return turns;
    // Per-turn costs only when it does not fit: each count includes one BOS.
    const costs = await Promise.all(turns.map(async (t) => (await this.#o.engine.countTokens([t])) - 1));
    return fitTurns(turns, costs, contextSize, maxTokens).turns;
  }
}
