// Why an answer ended, in the words shown under it. Main stores the status (complete, stopped,
// interrupted, error) and the token counts with the sampling used; for a complete answer the
// reason follows from them: it used all its max tokens, it filled the context, or the model ended
// its turn. A just-finished answer's stream told us exactly (GenerationStats.stopReason).
import type { Message } from '../../../main/contract/chat.ts';
import type { StopReason } from '../../../main/contract/engine.ts';

export type ShownStopReason = 'endOfTurn' | 'maxTokens' | 'contextFull' | 'stopString' | 'stopped' | 'interrupted' | 'error' | 'streaming';

export const STOP_REASON_TEXT: Record<ShownStopReason, string> = {
  endOfTurn: 'End of turn',
  maxTokens: 'Cut at the max answer tokens',
  contextFull: 'Stopped: the context is full',
  stopString: 'Ended at a stop string',
  stopped: 'Stopped',
  interrupted: 'Interrupted — the answer so far was kept',
  error: 'Error',
  streaming: '',
};

export function stopReasonOf(message: Pick<Message, 'status' | 'tokens' | 'sampling'>, contextSize: number | undefined, streamed?: StopReason): ShownStopReason {
  if (message.status !== 'complete') return message.status;
  if (streamed === 'stopString') return 'stopString';
  const t = message.tokens;
  if (streamed === 'maxTokens' || t) {
    // An answer that drew counts its image tokens in `completion`, while maxTokens bounds its text only.
    const drew = message.sampling?.mode === 'image' || message.sampling?.mode === 'interleaved';
    const max = typeof message.sampling?.maxTokens === 'number' && !drew ? message.sampling.maxTokens : undefined;
    if (t && contextSize !== undefined && t.prompt + t.completion >= contextSize) return 'contextFull';
    if ((t && max !== undefined && t.completion >= max) || streamed === 'maxTokens') return 'maxTokens';
  }
  return 'endOfTurn';
}
