// Remembers which GPU backends crash on this machine, so a broken GPU driver costs one crash
// instead of a crash loop. A host that dies after choosing a GPU backend (see the 'backend'
// message) and before any evaluation on it succeeded blames that backend: later 'auto' loads avoid
// it (the host falls back to the other GPU backend, else the CPU, and says why). A crash after an
// evaluation succeeded on the backend is an ordinary crash. An explicit choice of a crashed backend
// is honoured when the user loads it, but the automatic reload after a crash refuses it with
// engine.gpuCrashed instead of crashing again.
import { AppError } from '../contract/errors.ts';
import type { BackendKind, CrashedBackend, EngineStatus, ModelLoadSettings } from '../contract/engine.ts';
import { BACKEND_NAMES, crashSummary, type GpuCrash } from './crashReport.ts';
import type { HostExit } from './protocol.ts';

export class GpuCrashGuard {
  readonly #crashed = new Map<CrashedBackend['kind'], string>();
  readonly #proven = new Set<BackendKind>();
  /** The running host's backend, once it has said; null before, and for hosts that never say. */
  #current: BackendKind | null = null;

  /** `restored`: what the app persisted from an earlier run (EngineStatus.crashedBackends). */
  constructor(restored: CrashedBackend[] = []) {
    for (const c of restored) this.#crashed.set(c.kind, c.crash);
  }

  list(): CrashedBackend[] {
    return [...this.#crashed].map(([kind, crash]) => ({ kind, crash }));
  }

  hostStarted(): void {
    this.#current = null;
  }

  backendChosen(kind: BackendKind): void {
    this.#current = kind;
  }

  /** The host streamed a generation event: its backend evaluates fine. */
  evaluated(): void {
    if (this.#current) this.#proven.add(this.#current);
  }

  /** The host is gone: the GPU crash to report, recorded, or null for an ordinary crash. */
  hostDied(exit: HostExit, stderr: string[], settings: ModelLoadSettings | undefined): GpuCrash | null {
    const kind = this.#current;
    this.#current = null;
    if (!kind || kind === 'cpu' || this.#proven.has(kind)) return null;
    const backend = { kind, crash: crashSummary(exit, stderr) };
    this.#crashed.set(kind, backend.crash);
    return { backend, explicit: settings?.gpu === kind };
  }

  /** Why the automatic reload must not run these settings (an explicit crashed GPU), or null. */
  refusal(settings: ModelLoadSettings): AppError | null {
    if (settings.gpu === 'auto' || settings.gpu === 'cpu') return null;
    const crash = this.#crashed.get(settings.gpu);
    if (crash === undefined) return null;
    const name = BACKEND_NAMES[settings.gpu];
    return new AppError(
      'engine.gpuCrashed',
      `The ${name} backend crashed on this machine (${crash}). Choose Auto or the CPU in the settings, or update the GPU driver to use ${name}.`,
      { backend: settings.gpu, crash },
    );
  }

  /** The status with the crashed backends, so the app can show and persist them. */
  decorate(status: EngineStatus): EngineStatus {
    return this.#crashed.size > 0 ? { ...status, crashedBackends: this.list() } : status;
  }
}
