// Which engine answers: the local host (EngineClient) or the remote engine the user chose. The
// generation service, the model state (so the OpenAI API too) and the UI's model status all go
// through here, so switching is one call and everything follows. Remote engines are opt-in: none
// is contacted until the user adds or chooses one. A remote engine is checked (Chameleon? reachable?
// key accepted?) before it is stored or made active; a failing one is refused with its code and
// the engine answering before stays. Loads and unloads always concern the local model.
import type { ChatTurn, EngineStatus, GenerateRequestInput, GenerationResult, ModelLoadSettingsInput } from '../contract/engine.ts';
import { GenerateRequestSchema } from '../contract/engine.ts';
import { AppError, toErrorData } from '../contract/errors.ts';
import {
  ENGINE_KIND_LABELS,
  LOCAL_ENGINE_ID,
  type EngineId,
  type EnginesSnapshot,
  type MessageEngine,
  type RemoteEngineConfig,
  type RemoteEngineInput,
  type RemoteModel,
} from '../contract/remoteEngines.ts';
import type { EngineClient, GenerateOptions, LoadOptions } from '../engine/engineClient.ts';
import { createAdapter } from '../engine/remote/adapters.ts';
import type { RemoteAdapter } from '../engine/remote/remoteAdapter.ts';
import type { RemoteTimeouts } from '../engine/remote/remoteHttp.ts';
import type { TokenSealer } from '../models/hubToken.ts';
import { engineKeyStore, forgetEngineKey, readEnginesFile, writeEnginesFile, type EnginesFile } from './enginesFile.ts';
import { randomBytes } from 'node:crypto';

export interface EngineRouterOptions {
  local: EngineClient;
  dataDir: string;
  sealer?: TokenSealer;
  timeouts?: RemoteTimeouts;
  /** Every change of the engines list, the active engine or its connection. */
  onChanged: (snapshot: EnginesSnapshot) => void;
  /** The status the UI shows as the model's (the active engine's). */
  onStatus: (status: EngineStatus) => void;
}

interface Active {
  config: RemoteEngineConfig;
  adapter: RemoteAdapter;
  state: 'connecting' | 'ready' | 'error';
  model?: RemoteModel;
  error?: ReturnType<typeof toErrorData>;
}

/** The adapters also return the answer's ids (tests, the answer cache); the contract's result has none. */
function withoutTokens({ tokens: _ids, ...result }: GenerationResult & { tokens: number[] }): GenerationResult {
  return result;
}

export class EngineRouter {
  readonly #o: EngineRouterOptions;
  #file: EnginesFile;
  readonly #hasKey = new Map<string, boolean>();
  #active: Active | null = null;
  readonly #offLocal: () => void;

  private constructor(options: EngineRouterOptions, file: EnginesFile) {
    this.#o = options;
    this.#file = file;
    this.#offLocal = options.local.onStatus((status) => {
      if (!this.#active) options.onStatus(status);
    });
  }

  static async open(options: EngineRouterOptions): Promise<EngineRouter> {
    const file = await readEnginesFile(options.dataDir);
    const router = new EngineRouter(options, file);
    for (const e of file.engines) router.#hasKey.set(e.id, (await router.#keys(e.id).get()) !== null);
    // The remote engine chosen last time is connected in the background; the app never waits for it.
    if (file.active !== LOCAL_ENGINE_ID) void router.use(file.active).catch(() => undefined);
    return router;
  }

  #keys(id: string) {
    return engineKeyStore(this.#o.dataDir, id, this.#o.sealer);
  }

  snapshot(): EnginesSnapshot {
    const a = this.#active;
    return {
      active: a ? a.config.id : LOCAL_ENGINE_ID,
      engines: this.#file.engines.map((e) => ({ ...e, hasApiKey: this.#hasKey.get(e.id) ?? false })),
      ...(a ? { remote: { state: a.state, ...(a.model ? { model: a.model } : {}), ...(a.error ? { error: a.error } : {}) } } : {}),
      keyStorage: this.#o.sealer ? 'keychain' : 'file',
    };
  }

  #changed(): void {
    this.#o.onChanged(this.snapshot());
    this.#o.onStatus(this.getStatus());
  }

  #config(id: string): RemoteEngineConfig {
    const config = this.#file.engines.find((e) => e.id === id);
    if (!config) throw new AppError('remote.notFound', 'No remote engine with this id.', { id });
    return config;
  }

  async #adapter(config: RemoteEngineConfig, apiKey?: string | null): Promise<RemoteAdapter> {
    const key = apiKey === undefined ? await this.#keys(config.id).get() : apiKey;
    return createAdapter(config.kind, { baseUrl: config.baseUrl, ...(key ? { apiKey: key } : {}) }, this.#o.timeouts);
  }

  /** Checks a server without storing anything (the Settings form's "Test"). */
  async check(input: RemoteEngineInput, id?: string): Promise<RemoteModel> {
    if (id !== undefined) this.#config(id); // an engine being edited must exist: its stored key is used
    const config = { id: id ?? 'eng_00000000', name: input.name, kind: input.kind, baseUrl: input.baseUrl };
    const key = input.apiKey === undefined && id ? undefined : (input.apiKey ?? null);
    return (await this.#adapter(config, key)).probe();
  }

  /** Adds a remote engine after checking that it serves Chameleon; it does not become active. */
  async add(input: RemoteEngineInput): Promise<EnginesSnapshot> {
    await this.check({ ...input, apiKey: input.apiKey ?? null });
    const config: RemoteEngineConfig = { id: `eng_${randomBytes(6).toString('hex')}`, name: input.name, kind: input.kind, baseUrl: input.baseUrl };
    if (input.apiKey) await this.#keys(config.id).set(input.apiKey);
    this.#hasKey.set(config.id, !!input.apiKey);
    this.#file = { ...this.#file, engines: [...this.#file.engines, config] };
    await writeEnginesFile(this.#o.dataDir, this.#file);
    this.#changed();
    return this.snapshot();
  }

  async update(id: string, input: RemoteEngineInput): Promise<EnginesSnapshot> {
    const old = this.#config(id);
    const config: RemoteEngineConfig = { id, name: input.name, kind: input.kind, baseUrl: input.baseUrl };
    await this.check(input, id);
    if (input.apiKey !== undefined) await this.#keys(id).set(input.apiKey);
    if (input.apiKey !== undefined) this.#hasKey.set(id, input.apiKey !== null);
    this.#file = { ...this.#file, engines: this.#file.engines.map((e) => (e.id === old.id ? config : e)) };
    await writeEnginesFile(this.#o.dataDir, this.#file);
    if (this.#active?.config.id === id) await this.use(id);
    else this.#changed();
    return this.snapshot();
  }

  async remove(id: string): Promise<EnginesSnapshot> {
    this.#config(id);
    if (this.#active?.config.id === id) this.#active = null;
    this.#file = { version: 1, active: this.#active ? this.#active.config.id : LOCAL_ENGINE_ID, engines: this.#file.engines.filter((e) => e.id !== id) };
    await writeEnginesFile(this.#o.dataDir, this.#file);
    await forgetEngineKey(this.#o.dataDir, id);
    this.#hasKey.delete(id);
    this.#changed();
    return this.snapshot();
  }

  /**
   * Makes an engine the one that answers. 'local' always works at once. A remote engine is checked
   * first; if that fails it still becomes active in the 'error' state (so the user sees why and can
   * retry), and the error is thrown.
   */
  async use(id: EngineId): Promise<EnginesSnapshot> {
    if (id === LOCAL_ENGINE_ID) {
      this.#active = null;
    } else {
      const config = this.#config(id);
      const active: Active = { config, adapter: await this.#adapter(config), state: 'connecting' };
      this.#active = active;
      this.#changed();
      try {
        active.model = await active.adapter.probe();
        active.state = 'ready';
      } catch (err) {
        active.state = 'error';
        active.error = toErrorData(err, 'remote.unreachable');
        if (this.#active === active) this.#changed();
        throw err;
      } finally {
        if (this.#file.active !== id) {
          this.#file = { ...this.#file, active: id };
          await writeEnginesFile(this.#o.dataDir, this.#file);
        }
      }
      if (this.#active !== active) return this.snapshot();
    }
    if (this.#file.active !== id) {
      this.#file = { ...this.#file, active: id };
      await writeEnginesFile(this.#o.dataDir, this.#file);
    }
    this.#changed();
    return this.snapshot();
  }

  /** The active engine's status as the UI's model status: the local one's, or the remote connection. */
  getStatus(): EngineStatus {
    const a = this.#active;
    if (!a) return this.#o.local.getStatus();
    if (a.state === 'connecting') return { state: 'loading', loadProgress: 0 };
    if (a.state === 'error' || !a.model) return { state: 'error', ...(a.error ? { error: a.error } : {}) };
    const m = a.model;
    return {
      state: 'ready',
      loadProgress: 1,
      model: { path: a.config.baseUrl, fileName: m.id, sizeBytes: m.sizeBytes ?? 0, architecture: 'chameleon', contextSize: m.contextSize, trainContextSize: m.contextSize, vocabularySize: m.vocabularySize },
    };
  }

  /** Which engine and model would answer now (recorded on every message). */
  identity(): MessageEngine {
    const a = this.#active;
    if (a) return { kind: a.config.kind, name: a.config.name, model: a.model?.id ?? '' };
    return { kind: 'local', name: ENGINE_KIND_LABELS.local, model: this.#o.local.getStatus().model?.fileName ?? '' };
  }

  /** The remote model the API serves while a remote engine is active; null with the local engine. */
  servedRemotely(): { id: string; path: string; created: number } | null {
    const a = this.#active;
    return a?.state === 'ready' && a.model ? { id: a.model.id, path: a.config.baseUrl, created: Math.floor(Date.now() / 1000) } : null;
  }

  /** The active remote engine, or null for the local one; throws while it is not usable. */
  #remote(): Active | null {
    const a = this.#active;
    if (!a) return null;
    if (a.state !== 'ready') {
      throw a.error ? AppError.fromData(a.error) : new AppError('remote.unreachable', `The engine ${a.config.name} is still connecting.`);
    }
    return a;
  }

  async generate(input: GenerateRequestInput, options: GenerateOptions = {}): Promise<GenerationResult> {
    const a = this.#remote();
    if (!a) return this.#o.local.generate(input, options);
    const request = GenerateRequestSchema.parse(input);
    let result: GenerationResult;
    try {
      result = withoutTokens(await this.#guard(a, a.adapter.generate(request, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) })));
    } catch (err) {
      // Stopped before the answer began (while the prompt was being tokenized): stopped, not failed.
      if (!options.signal?.aborted || err instanceof AppError) throw err;
      const none = { promptMs: 0, firstTokenMs: 0, totalMs: 0, tokensPerSecond: 0 };
      result = { text: '', stopReason: 'aborted', usage: { promptTokens: 0, evaluatedPromptTokens: 0, completionTokens: 0 }, timings: none, seed: request.sampling.seed ?? 0 };
    }
    options.onEvent?.({ type: 'done', result });
    return result;
  }

  async countTokens(turns: ChatTurn[]): Promise<number> {
    const a = this.#remote();
    return a ? (await this.#guard(a, a.adapter.promptTokens(turns))).length : this.#o.local.countTokens(turns);
  }

  async promptTokens(turns: ChatTurn[]): Promise<number[]> {
    const a = this.#remote();
    return a ? this.#guard(a, a.adapter.promptTokens(turns)) : this.#o.local.promptTokens(turns);
  }

  /** A connection that broke shows on the status bar and the banner too, until the engine is checked again. */
  async #guard<T>(a: Active, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      const error = toErrorData(err, 'remote.badResponse');
      if (this.#active === a && (error.code === 'remote.unreachable' || error.code === 'remote.disconnected' || error.code === 'remote.timeout')) {
        a.state = 'error';
        a.error = error;
        this.#changed();
      }
      throw err;
    }
  }

  load(input: ModelLoadSettingsInput, options?: LoadOptions): Promise<EngineStatus> {
    return this.#o.local.load(input, options);
  }

  unload(): Promise<EngineStatus> {
    return this.#o.local.unload();
  }

  dispose(): void {
    this.#offLocal();
    this.#active = null;
  }
}
