// The typed message protocol between the parent (EngineClient) and the inference host process.
// One request id per call; the host answers with zero or more progress/event packets and exactly
// one `result`. Errors cross as ErrorData (house style rule 4). Messages travel over Node's IPC
// channel (fork) or Electron's MessagePort (utilityProcess): both structured-clone plain objects.
import type { ErrorData } from '../contract/errors.ts';
import type {
  BackendKind,
  ChatTurn,
  CrashedBackend,
  EngineStatus,
  GenerateRequest,
  GenerationEvent,
  GenerationResult,
  ModelLoadSettings,
} from '../contract/engine.ts';

export type HostRequest =
  /** `avoid`: GPU backends that crashed here; 'auto' skips them (an explicit choice still tries). */
  | { kind: 'load'; id: number; settings: ModelLoadSettings; avoid: CrashedBackend[] }
  | { kind: 'unload'; id: number }
  | { kind: 'generate'; id: number; request: GenerateRequest }
  | { kind: 'countTokens'; id: number; turns: ChatTurn[] }
  /** The exact prompt ids the engine would evaluate for these turns (context meter, tests). */
  | { kind: 'promptTokens'; id: number; turns: ChatTurn[] }
  /** Image bytes → 1024 VQ-GAN codes with the tokenizer weights at weightsPath (opened once). */
  | { kind: 'encodeImage'; id: number; weightsPath: string; image: Uint8Array }
  /** The content hash of the tokenizer weights (the codes cache key), opening them if needed. */
  | { kind: 'imageWeightsId'; id: number; weightsPath: string }
  /** Cancel the request with this id (a load or a generation); the request still answers once. */
  | { kind: 'cancel'; id: number };

export type HostResultValue = {
  load: EngineStatus;
  unload: EngineStatus;
  generate: GenerationResult;
  countTokens: number;
  promptTokens: number[];
  encodeImage: ImageEncodeResult;
  imageWeightsId: string;
};

export interface ImageEncodeResult {
  /** 1024 codes in raster order. */
  codes: number[];
  weightsSha256: string;
  backend: string;
  /** load is 0 when the tokenizer was already open. */
  ms: { load: number; preprocess: number; encode: number; quantize: number };
}

export type HostMessage =
  /** Sent once when the host's message handler is installed. */
  | { kind: 'hello'; pid: number }
  | { kind: 'status'; status: EngineStatus }
  | { kind: 'loadProgress'; id: number; progress: number }
  /** The backend a load runs on, sent before the weights go there: a crash from here on is its fault. */
  | { kind: 'backend'; id: number; backend: BackendKind }
  | { kind: 'imageProgress'; id: number; stage: string; done: number; total: number }
  | { kind: 'event'; id: number; event: GenerationEvent }
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: ErrorData };

/** What a launcher hands to the EngineClient: a live host process behind a message channel. */
export interface HostChannel {
  readonly pid: number | undefined;
  send(message: HostRequest): void;
  onMessage(listener: (message: HostMessage) => void): void;
  /** Called once when the process is gone, for whatever reason. */
  onExit(listener: (exit: HostExit) => void): void;
  /** The last lines the host wrote to stderr (llama.cpp's assert text lands here on an abort). */
  stderrTail(): string[];
  /** Ask the host to stop; resolves when it has exited. */
  terminate(): Promise<void>;
}

export interface HostExit {
  code: number | null;
  signal: string | null;
}

export type HostLauncher = () => HostChannel;
