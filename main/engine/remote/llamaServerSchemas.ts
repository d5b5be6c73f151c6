// The parts of llama-server's answers the adapter reads (tools/server of the llama.cpp that
// node-llama-cpp ships), parsed leniently: other fields may come and go between versions.
import { z } from 'zod';

export const PropsSchema = z.object({
  default_generation_settings: z.object({ n_ctx: z.number().int().positive() }),
  bos_token: z.string().optional(),
  eos_token: z.string().optional(),
  total_slots: z.number().int().optional(),
});

export const ModelsSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      meta: z.object({ n_vocab: z.number().int().optional(), n_ctx_train: z.number().int().optional(), size: z.number().int().optional() }).partial().optional(),
    }),
  ),
});

/** /tokenize: plain ids, or {id, piece} objects when with_pieces is set. */
export const TokenizeSchema = z.object({ tokens: z.array(z.number().int()) });

const TimingsSchema = z.object({
  prompt_n: z.number().int().optional(),
  prompt_ms: z.number().optional(),
  predicted_n: z.number().int().optional(),
  predicted_ms: z.number().optional(),
  predicted_per_second: z.number().optional(),
});

const ProbSchema = z.object({
  id: z.number().int().optional(),
  token: z.string(),
  logprob: z.number(),
  top_logprobs: z.array(z.object({ token: z.string(), logprob: z.number() })).optional(),
});

/** One packet of /completion's stream: a token (content + tokens), progress, or the last one (stop). */
export const LlamaServerReplySchema = z.object({
  content: z.string().optional(),
  tokens: z.array(z.number().int()).optional(),
  stop: z.boolean().optional(),
  stop_type: z.string().optional(),
  timings: TimingsSchema.optional(),
  prompt_progress: z.object({ total: z.number().int(), processed: z.number().int() }).optional(),
  completion_probabilities: z.array(ProbSchema).optional(),
  /** A failure after the stream began. */
  error: z.object({ code: z.number().optional(), message: z.string() }).optional(),
});
