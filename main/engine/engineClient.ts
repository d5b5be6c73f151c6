// The parent-side face of the inference engine. node-llama-cpp never runs in this process: every
// call becomes a message to the host process (see protocol.ts), so a native abort inside llama.cpp
// costs us the host, never the app. When the host dies, in-flight work settles (a generation keeps
// its partial text, stopReason 'crashed'), the status turns 'crashed' with the reason, and the next
// request starts a fresh host and reloads the last model settings before running. A GPU backend
// that crashes before its first evaluation is not tried again on its own (gpuCrashGuard.ts).
import { AppError, toErrorData, type ErrorData } from '../contract/errors.ts';
import {
  ChatTurnSchema,
  GenerateRequestSchema,
  ModelLoadSettingsSchema,
  type ChatTurn,
  type EngineStatus,
  type GenerateRequestInput,
  type GenerationEvent,
  type GenerationResult,
  type ModelLoadSettings,
  type ModelLoadSettingsInput,
} from '../contract/engine.ts';
import { checkResult, HostMessageSchema, HostRequestSchema, type HostChannel, type HostLauncher, type HostMessage, type HostRequest, type HostResultValue, type ImageEncodeResult } from './protocol.ts';
import { crashError, crashedResult } from './crashReport.ts';
import { parseOrBadRequest, type DistributiveOmit, type EngineClientOptions, type Kind, type Pending } from './engineClientTypes.ts';
import type { EncodeImageOptions, GenerateOptions, LoadOptions } from './engineClientTypes.ts';
import { GpuCrashGuard } from './gpuCrashGuard.ts';

export type { EncodeImageOptions, EngineClientOptions, GenerateOptions, LoadOptions } from './engineClientTypes.ts';

export class EngineClient {
  readonly #launcher: HostLauncher;
  #host: HostChannel | null = null;
  #hostReady: Promise<HostChannel> | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #status: EngineStatus = { state: 'empty' };
  readonly #listeners = new Set<(status: EngineStatus) => void>();
  /** What to reload after a crash; null after unload(). */
  #lastSettings: ModelLoadSettings | null = null;
  readonly #activeSessions = new Set<string>();
  #restarting: Promise<unknown> | null = null;
  #disposed = false;
  readonly #gpu: GpuCrashGuard;

  constructor(options: EngineClientOptions) {
    this.#launcher = options.launcher;
    this.#gpu = new GpuCrashGuard(options.crashedBackends);
  }

  /** The running host's process id (diagnostics; undefined while no host runs). */
  get hostPid(): number | undefined {
    return this.#host?.pid;
  }

  getStatus(): EngineStatus {
    return this.#status;
  }

  /** Every status change, crashes included. Returns the unsubscribe function. */
  onStatus(listener: (status: EngineStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async load(input: ModelLoadSettingsInput, options: LoadOptions = {}): Promise<EngineStatus> {
    const settings = parseOrBadRequest(() => ModelLoadSettingsSchema.parse(input));
    this.#lastSettings = settings;
    try {
      return this.#gpu.decorate(await this.#call<'load'>({ kind: 'load', settings, avoid: this.#gpu.list() }, options.signal, { onProgress: options.onProgress }));
    } catch (err) {
      // The next request must not quietly retry a refused or cancelled model: remember the model that
      // is still loaded (the host keeps or restores the previous one), if any. A host that died
      // while loading is different: the next request reloads (crash recovery, GPU fallback).
      const hostDied = this.#status.state === 'crashed';
      if (this.#lastSettings === settings && !hostDied) this.#lastSettings = this.#status.state === 'ready' ? (this.#status.settings ?? null) : null;
      throw err;
    }
  }

  async unload(): Promise<EngineStatus> {
    this.#lastSettings = null;
    if (!this.#host) {
      this.#setStatus({ state: 'empty' });
      return this.#status;
    }
    return this.#gpu.decorate(await this.#call<'unload'>({ kind: 'unload' }));
  }

  async generate(input: GenerateRequestInput, options: GenerateOptions = {}): Promise<GenerationResult> {
    const request = parseOrBadRequest(() => GenerateRequestSchema.parse(input));
    if (this.#activeSessions.has(request.sessionId)) {
      throw new AppError('engine.busy', 'This conversation is already generating an answer; stop it first.', {
        sessionId: request.sessionId,
      });
    }
    this.#activeSessions.add(request.sessionId);
    try {
      await this.#ensureModel();
      return await this.#call<'generate'>({ kind: 'generate', request }, options.signal, { onEvent: options.onEvent });
    } finally {
      this.#activeSessions.delete(request.sessionId);
    }
  }

  /** Exact prompt length in tokens (BOS, turn separators and 1026 per image included). */
  async countTokens(turns: ChatTurn[]): Promise<number> {
    const parsed = parseOrBadRequest(() => turns.map((t) => ChatTurnSchema.parse(t)));
    await this.#ensureModel();
    return this.#call<'countTokens'>({ kind: 'countTokens', turns: parsed });
  }

  /** The exact prompt ids for these turns (what a generation would evaluate, before KV reuse). */
  async promptTokens(turns: ChatTurn[]): Promise<number[]> {
    const parsed = parseOrBadRequest(() => turns.map((t) => ChatTurnSchema.parse(t)));
    await this.#ensureModel();
    return this.#call<'promptTokens'>({ kind: 'promptTokens', turns: parsed });
  }

  /**
   * Image bytes → 1024 VQ-GAN codes, in the host (never this thread), queued with the LLM's work.
   * Needs no language model. Cancel with the signal (vqgan.cancelled).
   */
  async encodeImage(weightsPath: string, image: Uint8Array, options: EncodeImageOptions = {}): Promise<ImageEncodeResult> {
    return this.#call<'encodeImage'>({ kind: 'encodeImage', weightsPath, image }, options.signal, { onImageProgress: options.onProgress });
  }

  /** The tokenizer weights' content hash: the key of the codes cache. Opens the tokenizer once. */
  async imageWeightsId(weightsPath: string): Promise<string> {
    return this.#call<'imageWeightsId'>({ kind: 'imageWeightsId', weightsPath });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const host = this.#host;
    this.#host = null;
    this.#hostReady = null;
    this.#failPending(new AppError('engine.aborted', 'The engine was shut down.'));
    if (host) await host.terminate();
    this.#listeners.clear();
  }

  // ---------------------------------------------------------------------------------------------

  /** After a crash (or a host that was never started) reload the last model before generating. */
  async #ensureModel(): Promise<void> {
    if (this.#restarting) await this.#restarting.catch(() => undefined);
    if (this.#host && this.#status.state === 'ready') return;
    if (this.#status.state === 'loading') return; // the host queues the request behind the load
    const settings = this.#lastSettings;
    if (!settings) throw new AppError('model.notLoaded', 'No model is loaded. Choose a Chameleon GGUF file first.');
    const refusal = this.#gpu.refusal(settings);
    if (refusal) {
      this.#setStatus({ state: 'error', settings, error: toErrorData(refusal) });
      throw refusal;
    }
    const restart = this.#call<'load'>({ kind: 'load', settings, avoid: this.#gpu.list() });
    this.#restarting = restart;
    try {
      await restart;
    } finally {
      if (this.#restarting === restart) this.#restarting = null;
    }
  }

  /** Sends a request and checks its answer against the protocol's schema for that kind. */
  async #call<K extends Kind>(
    message: DistributiveOmit<Extract<HostRequest, { kind: K }>, 'id'>,
    signal?: AbortSignal,
    hooks: { onProgress?: (p: number) => void; onImageProgress?: (stage: string, done: number, total: number) => void; onEvent?: (e: GenerationEvent) => void } = {},
  ): Promise<HostResultValue[K]> {
    const value = await this.#request(message, signal, hooks);
    const checked = checkResult[message.kind](value);
    if (!checked.success) throw new AppError('engine.internal', `The inference process answered ${message.kind} with an unexpected value.`);
    return checked.data;
  }

  #request(
    message: DistributiveOmit<HostRequest, 'id'>,
    signal: AbortSignal | undefined,
    hooks: { onProgress?: (p: number) => void; onImageProgress?: (stage: string, done: number, total: number) => void; onEvent?: (e: GenerationEvent) => void },
  ): Promise<unknown> {
    if (this.#disposed) return Promise.reject(new AppError('engine.aborted', 'The engine was shut down.'));
    if (message.kind === 'cancel') return Promise.reject(new AppError('internal', 'cancel is not a request'));
    const id = this.#nextId++;
    const request = HostRequestSchema.parse({ ...message, id });
    return new Promise<unknown>((resolve, reject) => {
      const pending: Pending = {
        kind: message.kind,
        resolve,
        reject,
        onProgress: hooks.onProgress,
        onImageProgress: hooks.onImageProgress,
        onEvent: hooks.onEvent,
        partialText: '',
        startedAt: performance.now(),
      };
      this.#pending.set(id, pending);
      const onAbort = (): void => {
        if (this.#pending.has(id)) this.#host?.send({ kind: 'cancel', id });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      pending.resolve = (v) => {
        settle();
        resolve(v);
      };
      pending.reject = (e) => {
        settle();
        reject(e);
      };
      this.#startHost().then(
        (host) => {
          if (!this.#pending.has(id)) return;
          host.send(request);
          if (signal?.aborted) onAbort();
        },
        (err: unknown) => {
          this.#pending.delete(id);
          pending.reject(AppError.fromData(toErrorData(err, 'engine.crashed')));
        },
      );
    });
  }

  #startHost(): Promise<HostChannel> {
    if (this.#hostReady) return this.#hostReady;
    this.#hostReady = new Promise<HostChannel>((resolve, reject) => {
      let host: HostChannel;
      try {
        host = this.#launcher();
      } catch (err) {
        this.#hostReady = null;
        reject(new AppError('engine.crashed', `Could not start the inference process: ${toErrorData(err).message}`));
        return;
      }
      this.#host = host;
      this.#gpu.hostStarted();
      let greeted = false;
      host.onMessage((raw) => {
        const parsed = HostMessageSchema.safeParse(raw);
        if (!parsed.success) return; // not a message of protocol.ts: never acted on
        const msg = parsed.data;
        if (msg.kind === 'hello') {
          greeted = true;
          resolve(host);
          return;
        }
        if (this.#host === host) this.#onMessage(msg);
      });
      host.onExit((exit) => {
        if (this.#host !== host) return; // a host we terminated on purpose
        this.#host = null;
        this.#hostReady = null;
        const stderr = host.stderrTail();
        const error = crashError(exit, stderr, this.#gpu.hostDied(exit, stderr, this.#status.settings ?? this.#lastSettings ?? undefined));
        if (!greeted) reject(AppError.fromData(error));
        this.#onCrash(error);
      });
    });
    return this.#hostReady;
  }

  #onMessage(msg: HostMessage): void {
    switch (msg.kind) {
      case 'status':
        this.#setStatus(msg.status);
        return;
      case 'backend':
        this.#gpu.backendChosen(msg.backend);
        return;
      case 'loadProgress':
        this.#pending.get(msg.id)?.onProgress?.(msg.progress);
        return;
      case 'imageProgress':
        this.#pending.get(msg.id)?.onImageProgress?.(msg.stage, msg.done, msg.total);
        return;
      case 'event': {
        const pending = this.#pending.get(msg.id);
        if (!pending) return;
        if (msg.event.type === 'delta') pending.partialText += msg.event.text;
        if (msg.event.type !== 'done') this.#gpu.evaluated();
        pending.onEvent?.(msg.event);
        return;
      }
      case 'result': {
        const pending = this.#pending.get(msg.id);
        if (!pending) return;
        this.#pending.delete(msg.id);
        if (msg.ok) pending.resolve(msg.value);
        else pending.reject(AppError.fromData(msg.error));
        return;
      }
      case 'hello':
        return;
    }
  }

  #onCrash(error: ErrorData): void {
    const previous = this.#status;
    this.#setStatus({
      state: 'crashed',
      error,
      ...(previous.settings ? { settings: previous.settings } : {}),
      ...(previous.model ? { model: previous.model } : {}),
    });
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      if (pending.kind === 'generate') {
        // Keep what the user already saw: the answer so far, marked as cut short by a crash.
        const result = crashedResult(pending.partialText, performance.now() - pending.startedAt, error);
        pending.onEvent?.({ type: 'done', result });
        pending.resolve(result);
      } else {
        pending.reject(AppError.fromData(error));
      }
    }
  }

  #failPending(error: AppError): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(error);
    }
  }

  #setStatus(status: EngineStatus): void {
    this.#status = this.#gpu.decorate(status);
    for (const listener of this.#listeners) listener(this.#status);
  }
}
