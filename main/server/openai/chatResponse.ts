// OpenAI response bodies for chat completions (non-streamed and streamed chunks).
import type { GenerationResult, StopReason, TokenLogprob } from '../../contract/engine.ts';
import type { AnswerPart } from './imageOutput.ts';

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

/** OpenAI's `logprobs` of a choice: null unless asked for; each token with its UTF-8 bytes. */
export function logprobsBody(logprobs: readonly TokenLogprob[] | undefined): unknown {
  if (!logprobs) return null;
  const bytes = (t: string): number[] => [...Buffer.from(t, 'utf8')];
  return {
    content: logprobs.map((l) => ({ token: l.token, logprob: l.logprob, bytes: bytes(l.token), top_logprobs: l.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytes(t.token) })) })),
    refusal: null,
  };
}

/** `content`: the text, or the answer's parts in order when it drew an image. */
export function completionBody(meta: CompletionMeta, result: GenerationResult, content: string | AnswerPart[] = result.text): unknown {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: logprobsBody(result.logprobs),
        finish_reason: finishReason(result.stopReason),
      },
    ],
    usage: usageOf(result),
  };
}

export function chunkBody(meta: CompletionMeta, delta: { role?: 'assistant'; content?: string | AnswerPart[] }, finish: FinishReason | null, logprobs?: readonly TokenLogprob[]): unknown {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: logprobsBody(logprobs), finish_reason: finish }],
  };
}

/** The extra last chunk of `stream_options.include_usage`: no choices, only usage. */
export function usageChunkBody(meta: CompletionMeta, result: GenerationResult): unknown {
  return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices: [], usage: usageOf(result) };
}
