// Presets: named instructions plus sampling, saved once and picked per chat (picking one copies
// both into the chat, so editing or deleting the preset later never changes a chat behind its
// user's back). Environment-free, so the renderer imports it too.
import { z } from 'zod';
import { IdSchema, INSTRUCTIONS_MAX_CHARS, TimestampSchema } from './chat.ts';
import { SamplingOverridesSchema } from './engine.ts';

export const PRESET_NAME_MAX_CHARS = 100;

export const PresetSchema = z.object({
  id: IdSchema,
  name: z.string().min(1).max(PRESET_NAME_MAX_CHARS),
  instructions: z.string().max(INSTRUCTIONS_MAX_CHARS),
  sampling: SamplingOverridesSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type Preset = z.infer<typeof PresetSchema>;

/** Save a new preset (no id) or overwrite one; a name is unique (store.conflict otherwise). */
export const PresetInputSchema = z
  .object({
    id: IdSchema.optional(),
    name: z.string().trim().min(1).max(PRESET_NAME_MAX_CHARS),
    instructions: z.string().max(INSTRUCTIONS_MAX_CHARS),
    sampling: SamplingOverridesSchema,
  })
  .strict();
export type PresetInput = z.infer<typeof PresetInputSchema>;
