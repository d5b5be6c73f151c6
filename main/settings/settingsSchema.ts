// The shape of the app's settings file: the contract's Settings (one schema for the screen and the
// file) with the file's version and the defaults filled in. Only zod and the contract: the Electron
// shell, the server and the settings screen all read the same schema.
import { z } from 'zod';
import { SettingsSchema } from '../contract/api.ts';
import { DEFAULT_SAMPLING } from '../contract/chameleon.ts';
import { DEFAULT_LOAD_CHOICES } from '../contract/engine.ts';

export const SETTINGS_VERSION = 1;

const F = SettingsSchema.shape;
const S = F.sampling.shape;

export const AppSettingsSchema = SettingsSchema.extend({
  version: z.literal(SETTINGS_VERSION).default(SETTINGS_VERSION),
  gpu: F.gpu.default(DEFAULT_LOAD_CHOICES.gpu),
  gpuLayers: F.gpuLayers.default(DEFAULT_LOAD_CHOICES.gpuLayers),
  contextSize: F.contextSize.default(DEFAULT_LOAD_CHOICES.contextSize),
  /** Sampling defaults for new chats and API requests that leave a parameter out (reference values). */
  sampling: z
    .object({
      temperature: S.temperature.default(DEFAULT_SAMPLING.temperature),
      topP: S.topP.default(DEFAULT_SAMPLING.topP),
      topK: S.topK.default(DEFAULT_SAMPLING.topK),
      repeatPenalty: S.repeatPenalty.default(DEFAULT_SAMPLING.repeatPenalty),
      maxTokens: S.maxTokens.default(DEFAULT_SAMPLING.maxTokens),
    })
    .prefault({}),
});
export type AppSettings = z.infer<typeof AppSettingsSchema>;
export type AppSettingsInput = z.input<typeof AppSettingsSchema>;

export const DEFAULT_SETTINGS: AppSettings = AppSettingsSchema.parse({});
