// Sending, regenerating and editing: build the turns from the branch (images → their cached or
// freshly encoded codes) and fit them to the context (contextBudget.ts) BEFORE anything is
// written, so a refused message (bad image, no tokenizer, too long, cancelled encode) leaves no
// row behind; then store the user message (or pick the parent), begin the assistant row
// (crash-safe streaming writer), stream the answer with deltas coalesced per frame, and store the
// outcome. A stop keeps the text ('stopped'); a host crash or any failure keeps it too, next to
// the error ('error').
import type { GenerationPacket, GenerationStats, StreamSink } from '../contract/api.ts';
import type { GenerationMode, ImageSamplingInput, SamplingOverrides } from '../contract/engine.ts';
import { DEFAULT_SAMPLING, TOKENS_PER_IMAGE } from '../contract/chameleon.ts';
import type { Message, MessagePart } from '../contract/chat.ts';
import { PAGE_LIMIT_MAX } from '../contract/chat.ts';
import type { ChatTurn, EngineStatus, GenerateRequestInput, GenerationResult, PromptSegment, SamplingSettingsInput } from '../contract/engine.ts';
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import type { GenerateOptions } from '../engine/engineClient.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { MessageEngine } from '../contract/remoteEngines.ts';
import type { StreamingMessageWriter } from '../store/StreamingMessageWriter.ts';
import { withInstructions } from '../engine/promptBuilder.ts';
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
  /** Continue this answer (same row) instead of starting a new one. */
  continues?: number;
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

/** What the answer may contain: text only when absent (chameleon.md §6.3). */
export interface AnswerMode {
  mode?: GenerationMode;
  imageSampling?: ImageSamplingInput;
}

export class GenerationService {
  readonly #o: GenerationServiceOptions;
  /** The running answer of each chat, to stop it from anywhere (generation.stop). */
  readonly #running = new Map<number, AbortController>();
  readonly #tasks = new Set<Promise<void>>();

  constructor(options: GenerationServiceOptions) {
    this.#o = options;
  }

  async send(args: { conversationId: number; parentId: number | null; parts: MessagePart[]; sampling?: SamplingOverrides } & AnswerMode, sink: Sink): Promise<void> {
    this.#assertIdle(args.conversationId);
    await this.#answer(args.conversationId, args.sampling, args, sink, async (signal, sampling) => {
      const history = args.parentId === null ? [] : await this.#turns(args.conversationId, args.parentId, signal, sink);
      const turns = await this.#fit(args.conversationId, [...history, ...(await this.#turnsOf([{ role: 'user', parts: args.parts }], signal, sink))], sampling, args.mode);
      const user = this.#o.store.addUserMessage(args.conversationId, args.parentId, args.parts);
      this.#o.onChanged(args.conversationId);
      return { user, turns, sendUser: true };
    });
  }

  async regenerate(args: { messageId: number; sampling?: SamplingOverrides } & AnswerMode, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'assistant' || old.parentId === null) throw new AppError('api.badRequest', 'Only an answer can be regenerated.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    const user = this.#o.store.getMessage(old.parentId);
    // Regenerating an answer that had images draws again unless the caller says otherwise.
    const mode = args.mode ?? (old.parts.some((p) => p.kind === 'generatedImage') ? ((old.sampling?.mode as GenerationMode | undefined) ?? 'interleaved') : undefined);
    const imageSampling = args.imageSampling ?? (old.sampling?.imageSampling as ImageSamplingInput | undefined);
    const answerMode: AnswerMode = { ...(mode ? { mode } : {}), ...(imageSampling ? { imageSampling } : {}) };
    await this.#answer(old.conversationId, args.sampling, answerMode, sink, async (signal, sampling) => ({
      user,
      turns: await this.#fit(old.conversationId, await this.#turns(old.conversationId, user.id, signal, sink), sampling, mode),
      sendUser: false,
    }));
  }

  /**
   * Continue an answer cut by max tokens (or stopped): the prompt is the branch with that answer
   * as an open assistant turn, and the new text is appended to the same message.
   */
  async continue(args: { messageId: number; sampling?: SamplingOverrides }, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'assistant' || old.parentId === null) throw new AppError('api.badRequest', 'Only an answer can be continued.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    const user = this.#o.store.getMessage(old.parentId);
    await this.#answer(old.conversationId, args.sampling, {}, sink, async (signal, sampling) => ({
      user,
      turns: await this.#fit(old.conversationId, await this.#turns(old.conversationId, old.id, signal, sink), sampling),
      sendUser: false,
      continues: old.id,
    }));
  }

  async edit(args: { messageId: number; parts: MessagePart[]; sampling?: SamplingOverrides } & AnswerMode, sink: Sink): Promise<void> {
    const old = this.#o.store.getMessage(args.messageId);
    if (old.role !== 'user') throw new AppError('api.badRequest', 'Only a user message can be edited.', { messageId: args.messageId });
    this.#assertIdle(old.conversationId);
    await this.#answer(old.conversationId, args.sampling, args, sink, async (signal, sampling) => {
      const history = old.parentId === null ? [] : await this.#turns(old.conversationId, old.parentId, signal, sink);
      const turns = await this.#fit(old.conversationId, [...history, ...(await this.#turnsOf([{ role: 'user', parts: args.parts }], signal, sink))], sampling, args.mode);
      const user = this.#o.store.addUserMessage(old.conversationId, old.parentId, args.parts);
      this.#o.onChanged(old.conversationId);
      return { user, turns, sendUser: true };
    });
  }

  /**
   * The engine turns for the branch ending at `leafId`, images as their codes (cached or encoded),
   * before the context policy: what the context meter counts and what tests compare token by token.
   */
  async promptTurns(conversationId: number, leafId: number, signal: AbortSignal = new AbortController().signal): Promise<ChatTurn[]> {
    return withInstructions(await this.#turns(conversationId, leafId, signal, { send: () => undefined, signal }), this.#instructions(conversationId));
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

  #answer(conversationId: number, overrides: SamplingOverrides | undefined, answerMode: AnswerMode, sink: Sink, prepare: (signal: AbortSignal, sampling: SamplingSettingsInput) => Promise<Prepared>): Promise<void> {
    const task = this.#run(conversationId, overrides, answerMode, sink, prepare);
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task)).catch(() => undefined);
    return task;
  }

  async #run(conversationId: number, overrides: SamplingOverrides | undefined, answerMode: AnswerMode, sink: Sink, prepare: (signal: AbortSignal, sampling: SamplingSettingsInput) => Promise<Prepared>): Promise<void> {
    const controller = new AbortController();
    this.#running.set(conversationId, controller);
    const onCancel = (): void => controller.abort();
    sink.signal.addEventListener('abort', onCancel, { once: true });
    if (sink.signal.aborted) controller.abort();
    try {
      const sampling: SamplingSettingsInput = { ...this.#o.samplingFor(conversationId), ...overrides };
      const mode = answerMode.mode ?? 'text';
      // Drawing needs an aliased model and decoder weights: refused before anything is written.
      const vqganWeightsPath = mode === 'text' ? undefined : this.#outputWeights();
      // Throws (nothing written) on a bad image, a cancelled encode or a message that cannot fit.
      const { user, turns, sendUser, continues } = await prepare(controller.signal, sampling);
      const status = this.#o.engine.getStatus();
      const model = status.model ? { fileName: status.model.fileName, sizeBytes: status.model.sizeBytes } : undefined;
      const engine = this.#o.engine.identity?.();
      const writer =
        continues !== undefined
          ? this.#o.store.continueAssistantMessage(continues)
          : this.#o.store.beginAssistantMessage(conversationId, user.id, {
              // An answer with images records how they were drawn (mode, CFG scales, image sampling).
              sampling: { ...sampling, ...(mode === 'text' ? {} : { mode, imageSampling: { ...answerMode.imageSampling } }) },
              ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
              ...(model ? { model } : {}),
              ...(engine ? { engine } : {}),
            });
      sink.send({ type: 'started', ...(sendUser ? { user } : {}), assistant: this.#o.store.getMessage(writer.messageId) });
      const request: GenerateRequestInput = {
        sessionId: `chat-${conversationId}`,
        turns,
        sampling,
        ...(mode === 'text' ? {} : { mode, ...(answerMode.imageSampling ? { imageSampling: answerMode.imageSampling } : {}), ...(vqganWeightsPath ? { vqganWeightsPath } : {}) }),
      };
      await this.#stream(writer, request, controller.signal, sink);
    } finally {
      sink.signal.removeEventListener('abort', onCancel);
      this.#running.delete(conversationId);
      this.#o.onChanged(conversationId);
    }
  }

  async #stream(writer: StreamingMessageWriter, request: GenerateRequestInput, signal: AbortSignal, sink: Sink): Promise<void> {
    const coalescer = new FrameCoalescer((text) => sink.send({ type: 'fragment', text }), this.#o.frameMs);
    // Storing a finished image is asynchronous; the text after it must land in the part after it,
    // so deltas and images are applied in arrival order through one chain.
    // While no image is being stored, everything applies at once (as for a text-only answer).
    let ordered: Promise<void> = Promise.resolve();
    let storing = 0;
    let storeError: unknown;
    const inOrder = (apply: () => void | Promise<void>, isStore = false): void => {
      if (storing === 0 && !isStore) return void apply();
      if (isStore) storing++;
      ordered = ordered
        .then(apply)
        .catch((err: unknown) => {
          storeError ??= err;
        })
        .finally(() => {
          if (isStore) storing--;
        });
    };
    let result: GenerationResult;
    try {
      result = await this.#o.engine.generate(request, {
        signal,
        onEvent: (event) => {
          if (event.type === 'delta') {
            inOrder(() => {
              writer.append(event.text);
              coalescer.push(event.text);
            });
          } else if (event.type === 'promptProgress') {
            sink.send({ type: 'promptProgress', evaluated: event.evaluated, total: event.total });
          } else if (event.type === 'imageStarted') {
            inOrder(() => {
              coalescer.flush();
              sink.send({ type: 'imageStarted', index: event.index });
            });
          } else if (event.type === 'imagePreview') {
            // Latest wins (the host throttles); a preview never waits behind the text.
            sink.send({ type: 'imagePreview', index: event.index, codes: event.codes, dataBase64: Buffer.from(event.png).toString('base64') });
          } else if (event.type === 'image' && event.png) {
            const png = event.png;
            inOrder(async () => {
              const part = await this.#o.images!.storeGenerated(png, event.codes, event.partial);
              coalescer.flush();
              writer.appendImage(part);
              sink.send({ type: 'image', index: event.index, part });
            }, true);
          }
        },
      });
    } catch (err) {
      await ordered;
      coalescer.flush();
      this.#fail(writer, toErrorData(err, 'engine.internal'), sink);
      return;
    }
    await ordered;
    coalescer.flush();
    if (storeError !== undefined) {
      this.#fail(writer, toErrorData(storeError, 'internal'), sink);
      return;
    }
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
        } else if (part.kind === 'generatedImage' && m.role === 'assistant') {
          // The codes it was drawn from (codes cache, stored with it); re-encoded only if the weights changed.
          if (!this.#o.images) throw new AppError('image.tokenizerMissing', 'This app was started without image input.');
          segments.push({ type: 'image', codes: await this.#o.images.codesFor(part.imageHash, { signal }) });
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

  /** The chat's own instructions, for the front of its first user turn (none: empty). */
  #instructions(conversationId: number): string[] {
    const text = this.#o.store.getConversation(conversationId).instructions;
    return text ? [text] : [];
  }

  #outputWeights(): string {
    if (!this.#o.images) throw new AppError('model.noImageOutput', 'This app was started without images.');
    return this.#o.images.outputWeights();
  }

  /**
   * The chat's instructions in front of the first turn sent, and the context policy
   * (contextBudget.ts) when a model is loaded and knows its context. When old exchanges must go,
   * the instructions stay: their cost comes off the budget, and they move to the first turn kept.
   * An answer that may draw keeps room for one whole image (BOI + 1024 codes + EOI): an image that
   * cannot fit is refused here, with the numbers, before anything is written.
   */
  async #fit(conversationId: number, turns: ChatTurn[], sampling: SamplingSettingsInput, mode: GenerationMode = 'text'): Promise<ChatTurn[]> {
    const instructions = this.#instructions(conversationId);
    const full = withInstructions(turns, instructions);
    const status = this.#o.engine.getStatus();
    // After a crash the host restarts with the same settings on this very request: the policy
    // applies to that context too (issue 15, defect 3), or a long chat overflows it.
    const contextSize = status.state === 'ready' || status.state === 'crashed' ? (status.model?.contextSize ?? status.settings?.contextSize) : undefined;
    if (contextSize === undefined || turns.length === 0) return full;
    const maxTokens = sampling.maxTokens ?? DEFAULT_SAMPLING.maxTokens;
    const reserve = mode === 'text' ? Math.min(maxTokens, ANSWER_RESERVE) : TOKENS_PER_IMAGE;
    const whole = await this.#o.engine.countTokens(full);
    if (whole + reserve <= contextSize) return full;
    // Per-turn costs only when it does not fit: each count includes one BOS.
    const costs = await Promise.all(turns.map(async (t) => (await this.#o.engine.countTokens([t])) - 1));
    const instructionCost = instructions.length === 0 ? 0 : whole - (await this.#o.engine.countTokens(turns));
    return withInstructions(fitTurns(turns, costs, contextSize - instructionCost, maxTokens, reserve).turns, instructions);
  }
}
