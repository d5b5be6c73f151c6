// The option and bookkeeping types of EngineClient, and its request parsing (kept apart so the
// client stays readable).
import { AppError, toErrorData } from '../contract/errors.ts';
import type { CrashedBackend, GenerationEvent } from '../contract/engine.ts';
import type { HostLauncher, HostResultValue } from './protocol.ts';

export interface EngineClientOptions {
  /** Starts a host process: forkLauncher() in server mode and tests, utilityProcessLauncher() in the app. */
  launcher: HostLauncher;
  /** GPU backends known to crash here (persisted by the app from EngineStatus.crashedBackends). */
  crashedBackends?: CrashedBackend[];
}

export interface LoadOptions {
  signal?: AbortSignal;
  /** 0..1 */
  onProgress?: (progress: number) => void;
}

export interface EncodeImageOptions {
  signal?: AbortSignal;
  /** Stages: load (tokenizer weights), preprocess, encode, quantize. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onEvent?: (event: GenerationEvent) => void;
}

export type Kind = keyof HostResultValue;

export interface Pending {
  kind: Kind;
  resolve: (value: unknown) => void;
  reject: (error: AppError) => void;
  onProgress?: (progress: number) => void;
  onImageProgress?: (stage: string, done: number, total: number) => void;
  onEvent?: (event: GenerationEvent) => void;
  partialText: string;
  startedAt: number;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function parseOrBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new AppError('api.badRequest', `Invalid engine request: ${toErrorData(err).message}`);
  }
}
