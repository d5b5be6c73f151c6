// The typed message protocol between the parent (EngineClient) and the inference host process.
// One request id per call; the host answers with zero or more progress/event packets and exactly
// one `result`. Errors cross as ErrorData (house style rule 4). Messages travel over Node's IPC
// channel (fork) or Electron's MessagePort (utilityProcess): both structured-clone plain objects.
// Both directions are schema-declared: each side parses what it receives, so a message that is not
// in this file cannot be acted on.
import { z } from 'zod';
import {
  BackendKindSchema,
  ChatTurnSchema,
  CrashedBackendSchema,
  EngineStatusSchema,
  GenerateRequestSchema,
  GenerationEventSchema,
  GenerationResultSchema,
  ModelLoadSettingsSchema,
} from '../contract/engine.ts';
import { ErrorDataSchema } from '../contract/errors.ts';

const Id = z.number().int().positive();

export const HostRequestSchema = z.discriminatedUnion('kind', [
  /** `avoid`: GPU backends that crashed here; 'auto' skips them (an explicit choice still tries). */
  z.object({ kind: z.literal('load'), id: Id, settings: ModelLoadSettingsSchema, avoid: z.array(CrashedBackendSchema) }),
  z.object({ kind: z.literal('unload'), id: Id }),
  z.object({ kind: z.literal('generate'), id: Id, request: GenerateRequestSchema }),
  z.object({ kind: z.literal('countTokens'), id: Id, turns: z.array(ChatTurnSchema) }),
  /** The exact prompt ids the engine would evaluate for these turns (context meter, tests). */
  z.object({ kind: z.literal('promptTokens'), id: Id, turns: z.array(ChatTurnSchema) }),
  /** Image bytes → 1024 VQ-GAN codes with the tokenizer weights at weightsPath (opened once). */
  z.object({ kind: z.literal('encodeImage'), id: Id, weightsPath: z.string().min(1), image: z.custom<Uint8Array>((v) => v instanceof Uint8Array) }),
  /** The content hash of the tokenizer weights (the codes cache key), opening them if needed. */
  z.object({ kind: z.literal('imageWeightsId'), id: Id, weightsPath: z.string().min(1) }),
  /** Cancel the request with this id (a load or a generation); the request still answers once. */
  z.object({ kind: z.literal('cancel'), id: Id }),
]);
export type HostRequest = z.infer<typeof HostRequestSchema>;

export const ImageEncodeResultSchema = z.object({
  /** 1024 codes in raster order. */
  codes: z.array(z.number().int()),
  weightsSha256: z.string(),
  backend: z.string(),
  /** load is 0 when the tokenizer was already open. */
  ms: z.object({ load: z.number(), preprocess: z.number(), encode: z.number(), quantize: z.number() }),
});
export type ImageEncodeResult = z.infer<typeof ImageEncodeResultSchema>;

/** The value each request kind answers with. */
export const HOST_RESULTS = {
  load: EngineStatusSchema,
  unload: EngineStatusSchema,
  generate: GenerationResultSchema,
  countTokens: z.number().int().nonnegative(),
  promptTokens: z.array(z.number().int()),
  encodeImage: ImageEncodeResultSchema,
  imageWeightsId: z.string(),
} as const satisfies Record<Exclude<HostRequest['kind'], 'cancel'>, z.ZodType>;
export type HostResultValue = { [K in keyof typeof HOST_RESULTS]: z.infer<(typeof HOST_RESULTS)[K]> };
type ResultCheck<K extends keyof HostResultValue> = (value: unknown) => { success: true; data: HostResultValue[K] } | { success: false };
/** One checker per kind, typed by it: `checkResult[kind](value)` narrows to that kind's value. */
export const checkResult: { [K in keyof HostResultValue]: ResultCheck<K> } = {
  load: (v) => HOST_RESULTS.load.safeParse(v),
  unload: (v) => HOST_RESULTS.unload.safeParse(v),
  generate: (v) => HOST_RESULTS.generate.safeParse(v),
  countTokens: (v) => HOST_RESULTS.countTokens.safeParse(v),
  promptTokens: (v) => HOST_RESULTS.promptTokens.safeParse(v),
  encodeImage: (v) => HOST_RESULTS.encodeImage.safeParse(v),
  imageWeightsId: (v) => HOST_RESULTS.imageWeightsId.safeParse(v),
};

export const HostMessageSchema = z.union([
  z.discriminatedUnion('kind', [
    /** Sent once when the host's message handler is installed. */
    z.object({ kind: z.literal('hello'), pid: z.number().int() }),
    z.object({ kind: z.literal('status'), status: EngineStatusSchema }),
    z.object({ kind: z.literal('loadProgress'), id: Id, progress: z.number() }),
    /** The backend a load runs on, sent before the weights go there: a crash from here on is its fault. */
    z.object({ kind: z.literal('backend'), id: Id, backend: BackendKindSchema }),
    z.object({ kind: z.literal('imageProgress'), id: Id, stage: z.string(), done: z.number(), total: z.number() }),
    z.object({ kind: z.literal('event'), id: Id, event: GenerationEventSchema }),
  ]),
  /** The one answer to a request; its value is checked against HOST_RESULTS by the kind asked. */
  z.object({ kind: z.literal('result'), id: Id, ok: z.literal(true), value: z.unknown() }),
  z.object({ kind: z.literal('result'), id: Id, ok: z.literal(false), error: ErrorDataSchema }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** What a launcher hands to the EngineClient: a live host process behind a message channel. */
export interface HostChannel {
  readonly pid: number | undefined;
  send(message: HostRequest): void;
  /** Raw messages from the host: the client parses them with HostMessageSchema. */
  onMessage(listener: (message: unknown) => void): void;
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
