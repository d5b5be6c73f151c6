// Which turns of a long conversation go into the prompt. The policy (issue 5):
//   1. The prompt is BOS + every turn, and room for the answer is reserved: min(maxTokens,
//      ANSWER_RESERVE) tokens. If that fits the context, everything is sent.
//   2. Otherwise the OLDEST EXCHANGES are dropped whole — a user turn together with the answers
//      that follow it — until the rest fits. A turn is never cut, so an image block (BOI + 1024
//      codes + EOI = 1026 tokens) is never split, and the model never sees a half exchange.
//   3. The newest user turn is never dropped: if it alone cannot fit next to the reserve, the
//      message is refused before sending (engine.contextOverflow) with the numbers, images named.
// Dropping changes the prompt's start, so that turn's prefill cannot reuse the KV cache: the cost
// of a long chat, paid only when it no longer fits.
import { TOKENS_PER_IMAGE } from '../contract/chameleon.ts';
import type { ChatTurn } from '../contract/engine.ts';
import { AppError } from '../contract/errors.ts';

/** Tokens kept free for the answer (or maxTokens when that is smaller). */
export const ANSWER_RESERVE = 256;

export interface FitResult {
  turns: ChatTurn[];
  /** How many leading turns were left out. */
  dropped: number;
  promptTokens: number;
}

/**
 * @param costs tokens of each turn (its segments plus its separator), same order as `turns`
 * @param reserve room kept for the answer: an answer that draws needs a whole image (1026)
 */
export function fitTurns(turns: readonly ChatTurn[], costs: readonly number[], contextSize: number, maxTokens: number, reserve = Math.min(maxTokens, ANSWER_RESERVE)): FitResult {
  if (costs.length !== turns.length) throw new RangeError('one cost per turn');
  const budget = contextSize - reserve;
  const total = (from: number): number => 1 + costs.slice(from).reduce((a, b) => a + b, 0);
  // Exchange starts: each user turn opens one; a turn can only be dropped with its whole exchange.
  let start = 0;
  while (total(start) > budget) {
    let next = start + 1;
    while (next < turns.length && turns[next]!.role !== 'user') next++;
    if (next >= turns.length) {
      const last = turns.at(-1)!;
      const images = last.segments.filter((s) => s.type === 'image').length;
      const need = 1 + costs.at(-1)!;
      throw new AppError(
        'engine.contextOverflow',
        `This message needs ${need} tokens${images > 0 ? ` (${images} image${images > 1 ? 's' : ''} at ${TOKENS_PER_IMAGE} tokens each)` : ''} plus ${reserve} for the answer, but the context holds ${contextSize}. Remove an image or shorten the text.`,
        { messageTokens: need, images, tokensPerImage: TOKENS_PER_IMAGE, reserve, contextSize },
      );
    }
    start = next;
  }
  return { turns: turns.slice(start), dropped: start, promptTokens: total(start) };
}
