// The inference engine's public shapes: what the server, the Electron shell and the UI send to the
// engine and get back. Environment-free (zod + the other contract modules only), so the renderer
// can import it. The engine itself lives in main/engine; only it imports node-llama-cpp.
import { z } from 'zod';
import { CONTEXT_LENGTH, DEFAULT_SAMPLING, IMAGE_CODEBOOK_SIZE, IMAGE_CODES_PER_IMAGE } from './chameleon.ts';
import { ErrorDataSchema } from './errors.ts';

export const GpuChoiceSchema = z.enum(['auto', 'cuda', 'metal', 'vulkan', 'cpu']);
export type GpuChoice = z.infer<typeof GpuChoiceSchema>;

export const BackendKindSchema = z.enum(['cuda', 'metal', 'vulkan', 'cpu']);
export type BackendKind = z.infer<typeof BackendKindSchema>;

/** How a model is loaded, as the user chooses it (the settings screen and the settings file). */
export const LoadChoicesSchema = z.object({
  gpu: GpuChoiceSchema,
  /** 'auto' lets node-llama-cpp fit as many layers as VRAM allows; a number forces that many. */
  gpuLayers: z.union([z.literal('auto'), z.number().int().min(0)]),
  contextSize: z.number().int().min(64).max(1 << 20),
  /** Omitted: the engine picks a thread count that leaves headroom for the UI and the OS. */
  threads: z.number().int().min(1).max(256).optional(),
});
export type LoadChoices = z.infer<typeof LoadChoicesSchema>;
export const DEFAULT_LOAD_CHOICES = { gpu: 'auto', gpuLayers: 'auto', contextSize: CONTEXT_LENGTH } as const satisfies LoadChoices;

export const ModelLoadSettingsSchema = LoadChoicesSchema.extend({
  modelPath: z.string().min(1),
  gpu: LoadChoicesSchema.shape.gpu.default(DEFAULT_LOAD_CHOICES.gpu),
  gpuLayers: LoadChoicesSchema.shape.gpuLayers.default(DEFAULT_LOAD_CHOICES.gpuLayers),
  contextSize: LoadChoicesSchema.shape.contextSize.default(DEFAULT_LOAD_CHOICES.contextSize),
  /** Omitted: the context size (llama.cpp's Chameleon graph aborts on a micro-batch without logits). */
  batchSize: z.number().int().min(1).optional(),
});
export type ModelLoadSettings = z.infer<typeof ModelLoadSettingsSchema>;
export type ModelLoadSettingsInput = z.input<typeof ModelLoadSettingsSchema>;

export const TextSegmentSchema = z.object({ type: z.literal('text'), text: z.string() });
export const ImageSegmentSchema = z.object({
  type: z.literal('image'),
  /** The 32×32 VQ-GAN codes in raster order; the engine turns each into token id code + 4. */
  codes: z.array(z.number().int().min(0).max(IMAGE_CODEBOOK_SIZE - 1)).length(IMAGE_CODES_PER_IMAGE),
});
export const PromptSegmentSchema = z.discriminatedUnion('type', [TextSegmentSchema, ImageSegmentSchema]);
export type PromptSegment = z.infer<typeof PromptSegmentSchema>;

export const ChatTurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  segments: z.array(PromptSegmentSchema),
});
export type ChatTurn = z.infer<typeof ChatTurnSchema>;

/** Every sampling parameter with its range, declared once; the variants below are derived. */
export const SamplingFieldsSchema = z.object({
  temperature: z.number().min(0).max(10),
  topP: z.number().gt(0).max(1),
  /** 0 disables top-k. */
  topK: z.number().int().min(0),
  /** 1 disables the penalty. */
  repeatPenalty: z.number().min(1).max(10),
  /** Drops tokens less likely than this fraction of the most likely one; 0 disables min-p. */
  minP: z.number().min(0).max(1),
  /** Omitted: a random seed is drawn and reported back in the result. */
  seed: z.number().int().min(0).max(0xffff_ffff),
  maxTokens: z.number().int().min(1),
  stop: z.array(z.string().min(1)).max(16),
});
const S = SamplingFieldsSchema.shape;

/** The app-wide defaults (settings) and what an API request falls back to: the reference values. */
export const DefaultSamplingSchema = SamplingFieldsSchema.pick({ temperature: true, topP: true, topK: true, repeatPenalty: true, maxTokens: true });
export type DefaultSampling = z.infer<typeof DefaultSamplingSchema>;

/** Per-chat or per-request sampling: every field optional, no defaults (absent = the app default). */
export const SamplingOverridesSchema = SamplingFieldsSchema.partial().strict();
export type SamplingOverrides = z.infer<typeof SamplingOverridesSchema>;

/**
 * A change to a chat's sampling: a value sets that field, null clears it back to the app default,
 * an absent field stays as stored. So a window with a stale copy changes only what its user touched.
 */
export const SamplingPatchSchema = z
  .object(
    Object.fromEntries(Object.entries(SamplingFieldsSchema.shape).map(([k, v]) => [k, v.nullable().optional()])) as {
      [K in keyof typeof S]: z.ZodOptional<z.ZodNullable<(typeof S)[K]>>;
    },
  )
  .strict();
export type SamplingPatch = z.infer<typeof SamplingPatchSchema>;

/** The stored overrides after a patch (an empty result means "the defaults"). */
export function applySamplingPatch(current: SamplingOverrides | undefined, patch: SamplingPatch): SamplingOverrides {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next as SamplingOverrides;
}

/** What the engine samples with: the defaults filled in, seed and stop strings optional. */
export const SamplingSettingsSchema = z.object({
  temperature: S.temperature.default(DEFAULT_SAMPLING.temperature),
  topP: S.topP.default(DEFAULT_SAMPLING.topP),
  topK: S.topK.default(DEFAULT_SAMPLING.topK),
  repeatPenalty: S.repeatPenalty.default(DEFAULT_SAMPLING.repeatPenalty),
  minP: S.minP.default(0),
  seed: S.seed.optional(),
  maxTokens: S.maxTokens.default(DEFAULT_SAMPLING.maxTokens),
  stop: S.stop.optional(),
});
export type SamplingSettings = z.infer<typeof SamplingSettingsSchema>;
export type SamplingSettingsInput = z.input<typeof SamplingSettingsSchema>;

/** Output held to a grammar while it is sampled (the OpenAI API's response_format). */
export const OutputFormatSchema = z.discriminatedUnion('type', [
  /** A JSON object (llama.cpp's json grammar). */
  z.object({ type: z.literal('jsonObject') }),
  /** JSON matching this schema (the subset node-llama-cpp turns into a grammar). */
  z.object({ type: z.literal('jsonSchema'), schema: z.record(z.string(), z.unknown()) }),
]);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

/** A sampled token's log-probability and the most likely alternatives, in the distribution it was drawn from. */
export const TokenLogprobSchema = z.object({
  token: z.string(),
  logprob: z.number(),
  top: z.array(z.object({ token: z.string(), logprob: z.number() })),
});
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

/**
 * What an answer may contain (chameleon.md §6.3): text only (the default, and all a model without
 * image aliases can do), one image only ("draw …": BOI is forced after the prompt), or text with
 * images wherever the model starts one.
 */
export const GenerationModeSchema = z.enum(['text', 'image', 'interleaved']);
export type GenerationMode = z.infer<typeof GenerationModeSchema>;

/** How image codes are sampled: the reference's CFG scales and image temperature/top-p (§2.2). */
export const ImageSamplingSchema = z.object({
  guidanceText: z.number().min(0).max(20).default(3.0),
  guidanceImage: z.number().min(0).max(20).default(1.2),
  temperature: z.number().min(0).max(10).default(0.7),
  topP: z.number().gt(0).max(1).default(0.9),
});
export type ImageSampling = z.infer<typeof ImageSamplingSchema>;
export type ImageSamplingInput = z.input<typeof ImageSamplingSchema>;

export const GenerateRequestSchema = z.object({
  /** A conversation/branch key: requests with the same key reuse the KV cache of the previous one. */
  sessionId: z.string().min(1).max(200),
  /**
   * The history. The last turn is a user turn (the model answers it) or an assistant turn left
   * open: the model continues that answer (Continue after max tokens; chameleon.md §2.4).
   */
  turns: z
    .array(ChatTurnSchema)
    .min(1)
    .refine((t) => t[t.length - 1]?.role === 'user' || t.slice(0, -1).some((x) => x.role === 'user'), {
      message: 'the last turn must be a user turn, or an answer to continue after one',
    }),
  sampling: SamplingSettingsSchema.default(SamplingSettingsSchema.parse({})),
  format: OutputFormatSchema.optional(),
  /** Report each token's log-probability with this many alternatives (0–20); absent: none. */
  logprobs: z.number().int().min(0).max(20).optional(),
  mode: GenerationModeSchema.default('text'),
  imageSampling: ImageSamplingSchema.default(ImageSamplingSchema.parse({})),
  /** VQ-GAN weights with a decoder: previews and finished images come back as PNGs; absent: codes only. */
  vqganWeightsPath: z.string().min(1).optional(),
});
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;
export type GenerateRequestInput = z.input<typeof GenerateRequestSchema>;

export const StopReasonSchema = z.enum(['eos', 'endOfTurn', 'stopString', 'maxTokens', 'aborted', 'crashed']);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const GenerationResultSchema = z.object({
  text: z.string(),
  stopReason: StopReasonSchema,
  usage: z.object({
    promptTokens: z.number().int(),
    /** Prompt tokens actually evaluated this time; the rest came from the reused KV cache. */
    evaluatedPromptTokens: z.number().int(),
    completionTokens: z.number().int(),
  }),
  timings: z.object({
    promptMs: z.number(),
    firstTokenMs: z.number(),
    totalMs: z.number(),
    tokensPerSecond: z.number(),
  }),
  seed: z.number().int(),
  /** When the request asked for them: one per answer token. */
  logprobs: z.array(TokenLogprobSchema).optional(),
  /** Set when stopReason is 'crashed': why the host died. */
  error: ErrorDataSchema.optional(),
  /** The images of the answer in order (their PNGs came as `image` events); absent for text only. */
  images: z
    .array(
      z.object({
        codes: z.array(z.number().int()),
        partial: z.boolean(),
        /** Where the image's time went (bench:imagegen): its 1024 guided steps, the previews decoded meanwhile, the final decode. */
        ms: z.object({ steps: z.number(), previews: z.number(), previewCount: z.number().int(), finalDecode: z.number() }).optional(),
        /** How many streams each step evaluated: 1 without guidance, 2 (text-only prompt) or 3. */
        streams: z.number().int().optional(),
      }),
    )
    .optional(),
});
export type GenerationResult = z.infer<typeof GenerationResultSchema>;

export const GenerationEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('promptProgress'), evaluated: z.number().int(), total: z.number().int() }),
  /** `logprobs`: the tokens since the last delta, when the request asked for them. */
  z.object({ type: z.literal('delta'), text: z.string(), logprobs: z.array(TokenLogprobSchema).optional() }),
  z.object({ type: z.literal('done'), result: GenerationResultSchema }),
  /** The answer entered an image (BOI sampled or forced); `index` counts the answer's images. */
  z.object({ type: z.literal('imageStarted'), index: z.number().int().nonnegative() }),
  /** The partial grid decoded (missing codes padded, §6.4): throttled, latest wins. */
  z.object({ type: z.literal('imagePreview'), index: z.number().int().nonnegative(), codes: z.number().int(), png: z.custom<Uint8Array>((v) => v instanceof Uint8Array) }),
  /**
   * An image ended: all 1024 codes, or fewer when stopped (`partial`); `png` is the full-quality
   * decode (a partial one padded) when the request named decoder weights.
   */
  z.object({
    type: z.literal('image'),
    index: z.number().int().nonnegative(),
    codes: z.array(z.number().int().min(0).max(IMAGE_CODEBOOK_SIZE - 1)),
    partial: z.boolean(),
    png: z.custom<Uint8Array>((v) => v instanceof Uint8Array).optional(),
  }),
]);
export type GenerationEvent = z.infer<typeof GenerationEventSchema>;

export const EngineStateSchema = z.enum(['empty', 'loading', 'ready', 'crashed', 'error']);
export type EngineState = z.infer<typeof EngineStateSchema>;

export const ModelInfoSchema = z.object({
  path: z.string(),
  fileName: z.string(),
  sizeBytes: z.number(),
  architecture: z.string(),
  contextSize: z.number().int(),
  trainContextSize: z.number().int(),
  parameters: z.number().optional(),
  embeddingLength: z.number().int().optional(),
  layers: z.number().int().optional(),
  vocabularySize: z.number().int().optional(),
  /** The GGUF carries the app's image aliases, so image output is possible (chameleon.md §6.4). */
  imageAliases: z.boolean().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

const MemorySchema = z.object({ used: z.number(), total: z.number() });

export const BackendInfoSchema = z.object({
  kind: BackendKindSchema,
  deviceNames: z.array(z.string()),
  gpuLayers: z.number().int(),
  totalLayers: z.number().int(),
  vram: MemorySchema,
  ram: MemorySchema,
  threads: z.number().int(),
  batchSize: z.number().int(),
  /** Why the engine runs on the CPU although a GPU was asked for or auto-detected; absent otherwise. */
  cpuFallbackReason: z.string().optional(),
});
export type BackendInfo = z.infer<typeof BackendInfoSchema>;

/** A GPU backend whose host process died before its first evaluation: the engine avoids it under 'auto'. */
export const CrashedBackendSchema = z.object({
  kind: z.enum(['cuda', 'metal', 'vulkan']),
  /** The signal (or exit code) and the telling stderr line, e.g. "SIGABRT: CUDA error: …". */
  crash: z.string(),
});
export type CrashedBackend = z.infer<typeof CrashedBackendSchema>;

export const EngineStatusSchema = z.object({
  state: EngineStateSchema,
  /** 0..1 while loading. */
  loadProgress: z.number().min(0).max(1).optional(),
  settings: ModelLoadSettingsSchema.optional(),
  model: ModelInfoSchema.optional(),
  backend: BackendInfoSchema.optional(),
  error: ErrorDataSchema.optional(),
  /** GPU backends that crashed on this machine (this engine's lifetime, or restored by the app). */
  crashedBackends: z.array(CrashedBackendSchema).optional(),
});
export type EngineStatus = z.infer<typeof EngineStatusSchema>;
