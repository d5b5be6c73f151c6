// The shape of the app's settings file. Only zod and the contract: the Electron shell, the server
// and (later) the settings screen all read the same schema.
import { z } from 'zod';
import { CONTEXT_LENGTH } from '../contract/chameleon.ts';
import { GpuChoiceSchema, SamplingSettingsSchema } from '../contract/engine.ts';

export const SETTINGS_VERSION = 1;

/** Sampling defaults for new chats and API requests that leave a parameter out (reference values). */
export const DefaultSamplingSchema = SamplingSettingsSchema.pick({
  temperature: true,
  topP: true,
  topK: true,
  repeatPenalty: true,
  maxTokens: true,
});
export type DefaultSampling = z.infer<typeof DefaultSamplingSchema>;

export const AppSettingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION).default(SETTINGS_VERSION),
  /** The chosen Chameleon GGUF; absent until the user picks one. */
  modelPath: z.string().min(1).optional(),
  gpu: GpuChoiceSchema.default('auto'),
  gpuLayers: z.union([z.literal('auto'), z.number().int().min(0)]).default('auto'),
  contextSize: z.number().int().min(64).max(1 << 20).default(CONTEXT_LENGTH),
  /** Absent: the engine picks a thread count that leaves headroom. */
  threads: z.number().int().min(1).max(256).optional(),
  /** The VQ-GAN image tokenizer's weights (vqgan.ckpt, .safetensors or a folder); absent: no image input. */
  vqganWeightsPath: z.string().min(1).optional(),
  sampling: DefaultSamplingSchema.prefault({}),
});
export type AppSettings = z.infer<typeof AppSettingsSchema>;
export type AppSettingsInput = z.input<typeof AppSettingsSchema>;

export const DEFAULT_SETTINGS: AppSettings = AppSettingsSchema.parse({});
