// OpenAI response bodies for chat completions (non-streamed and streamed chunks).
import type { GenerationResult, StopReason } from '../../contract/engine.ts';

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export type FinishReason = 'stop' | 'length';

export function finishReason(stop: StopReason): FinishReason {
  return stop === 'maxTokens' ? 'length' : 'stop';
}

export function usageOf(result: GenerationResult): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const { promptTokens, completionTokens } = result.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export function completionBody(meta: CompletionMeta, result: GenerationResult): unknown {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.text, refusal: null },
        logprobs: null,
        finish_reason: finishReason(result.stopReason),
      },
    ],
    usage: usageOf(result),
  };
}

export function chunkBody(meta: CompletionMeta, delta: { role?: 'assistant'; content?: string }, finish: FinishReason | null): unknown {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The extra last chunk of `stream_options.include_usage`: no choices, only usage. */
export function usageChunkBody(meta: CompletionMeta, result: GenerationResult): unknown {
  return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices: [], usage: usageOf(result) };
}
