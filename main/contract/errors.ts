// Errors are data at every boundary (house style rule 4): inside a process we throw an AppError
// with a namespaced code; across a boundary only the plain ErrorData shape travels.
import { z } from 'zod';

export const ERROR_CODES = [
  // model files and loading
  'model.notFound',
  'model.corrupt',
  'model.notChameleon',
  'model.noImageVocabulary',
  'model.loadFailed',
  'model.loadCancelled',
  'model.notLoaded',
  // inference
  'engine.crashed',
  'engine.busy',
  'engine.aborted',
  'engine.contextOverflow',
  'engine.gpuUnavailable',
  'engine.internal',
  // images and the VQ-GAN tokenizer
  'image.corrupt',
  'image.unsupported',
  'image.empty',
  'image.tooLarge',
  'image.inputUnavailable',
  'vqgan.weightsNotFound',
  'vqgan.weightsInvalid',
  'vqgan.missingTensor',
  'vqgan.badTensorShape',
  'vqgan.noDecoder',
  'vqgan.configInvalid',
  'vqgan.cancelled',
  'vqgan.backendUnavailable',
  'vqgan.internal',
  'vqgan.badCodes',
  /** Image input needs the VQ-GAN weights, and none are chosen in the settings. */
  'image.tokenizerMissing',
  /** An image given by a remote (http) URL: the app is offline, only data: URLs are accepted. */
  'image.remoteUrl',
  // history
  'store.notFound',
  'store.tooNew',
  'store.conflict',
  'store.closed',
  /** The history file is damaged: named, with its backups; recovery keeps the damaged file. */
  'store.corrupt',
  /** The history file or its folder cannot be written (read-only, disk full, permissions). */
  'store.unwritable',
  // API and transport
  'api.badRequest',
  'api.unauthorized',
  'api.forbiddenOrigin',
  'api.notFound',
  'api.payloadTooLarge',
  'api.noModel',
  'api.methodNotAllowed',
  /** A file path main may not open: not chosen by the user (dialog, settings, models folder). */
  'api.forbiddenPath',
  // settings and the data folder
  'settings.invalid',
  /** Another process (the app or `npm run serve`) holds the data folder. */
  'app.dataDirInUse',
  // transcripts: export and import
  'export.cancelled',
  'export.writeFailed',
  'export.pdfUnavailable',
  'import.invalid',
  'import.tooLarge',
  'import.unsupportedVersion',
  'import.unknownFormat',
  // model catalog and downloads (main/models)
  'models.catalogInvalid',
  'models.notInCatalog',
  'models.notInstalled',
  /** The Hub has no such repo or file (404). */
  'models.hubNotFound',
  /** 401: the repo needs a Hub token and none was given. */
  'models.unauthorized',
  /** 403: the token has not been granted access to a gated repo. */
  'models.gated',
  'models.networkError',
  'models.diskFull',
  'models.checksumMismatch',
  /** The bytes are not what the catalog says (not a GGUF, not Chameleon, not VQ-GAN weights). */
  'models.wrongFile',
  'models.alreadyInstalled',
  'models.inUse',
  'models.downloadFailed',
  // GGUF transforms made by the app (image aliases, checkpoint conversion, quantization)
  /** ggml cannot quantize to this type (unknown, or one that needs an importance matrix). */
  'models.quantizeUnsupported',
  /** The GGUF already carries the app's image aliases; it is not transformed twice. */
  'models.alreadyImageCapable',
  /** The head / checkpoint file is not what the transform needs (wrong tensor, shape or dtype). */
  'models.badWeights',
  'models.cancelled',
  // remote engines (llama-server, vLLM)
  /** No connection to the remote engine's address (refused, no route, DNS). */
  'remote.unreachable',
  /** The remote engine refused the API key (401/403). */
  'remote.unauthorized',
  /** The remote engine did not answer in time. */
  'remote.timeout',
  /** The connection to the remote engine broke in the middle of an answer. */
  'remote.disconnected',
  /** The remote engine serves a model that is not Chameleon (vocabulary, special tokens). */
  'remote.notChameleon',
  /** The remote engine answered something its documented API does not (or an HTTP error). */
  'remote.badResponse',
  /** No remote engine with this id is configured. */
  'remote.notFound',
  'internal',
  /** The chosen GPU backend crashed on this machine before its first evaluation; not retried on its own. */
  'engine.gpuCrashed',
  /** Image output was asked for but is off: the GGUF has no image aliases, or no VQ-GAN decoder is set. */
  'model.noImageOutput',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one shape of an error at every boundary: IPC, WebSocket, the host protocol, stored messages. */
export const ErrorDataSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorData = z.infer<typeof ErrorDataSchema>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromData(data: ErrorData): AppError {
    return new AppError(data.code, data.message, data.details);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turn anything thrown into ErrorData; unknown errors become `fallback` with their message kept. */
export function toErrorData(err: unknown, fallback: ErrorCode = 'internal'): ErrorData {
  if (err instanceof AppError) return err.toData();
  if (typeof err === 'object' && err !== null && 'code' in err && isErrorCode((err as { code: unknown }).code)) {
    const e = err as { code: ErrorCode; message?: unknown; details?: Record<string, unknown> };
    return { code: e.code, message: typeof e.message === 'string' ? e.message : e.code, ...(e.details ? { details: e.details } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: fallback, message };
}
