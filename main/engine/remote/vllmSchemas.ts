// The parts of vLLM's OpenAI-compatible answers the adapter reads (vLLM's documented API),
// parsed leniently: other fields may come and go between versions.
import { z } from 'zod';

export const VllmModelsSchema = z.object({
  data: z.array(z.object({ id: z.string(), max_model_len: z.number().int().positive().optional() })),
});

export const VllmTokenizeSchema = z.object({ tokens: z.array(z.number().int()) });

/** One packet of a streamed /v1/completions: choices with text and logprobs, then a usage packet. */
export const VllmChunkSchema = z.object({
  choices: z.array(
    z.object({
      index: z.number().int().optional(),
      text: z.string(),
      logprobs: z
        .object({ tokens: z.array(z.string()).optional(), token_logprobs: z.array(z.number().nullable()).optional() })
        .nullable()
        .optional(),
      finish_reason: z.string().nullable().optional(),
      /** The stop token id or stop string that ended it; null for EOS. */
      stop_reason: z.union([z.number().int(), z.string()]).nullable().optional(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() }).nullable().optional(),
});
