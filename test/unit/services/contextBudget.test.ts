// The context policy: everything when it fits; otherwise the oldest whole exchanges go first (a
// user turn with its answer), never part of a turn, so an image block is never split; the newest
// user turn is never dropped, and a message that cannot fit is refused with the numbers.
import { describe, expect, it } from 'vitest';
import { TOKENS_PER_IMAGE } from '../../../main/contract/chameleon.ts';
import type { ChatTurn } from '../../../main/contract/engine.ts';
import { AppError } from '../../../main/contract/errors.ts';
import { ANSWER_RESERVE, fitTurns } from '../../../main/services/contextBudget.ts';

const img = { type: 'image' as const, codes: new Array<number>(1024).fill(0) };
const user = (text: string, images = 0): ChatTurn => ({ role: 'user', segments: [{ type: 'text', text }, ...new Array(images).fill(img)] });
const answer = (text: string): ChatTurn => ({ role: 'assistant', segments: [{ type: 'text', text }] });

describe('fitTurns', () => {
  const turns = [user('a', 1), answer('b'), user('c'), answer('d'), user('e', 1)];
  // 10 text tokens + EOT per user turn, 1026 per image; 20 + EOS per answer.
  const costs = [11 + TOKENS_PER_IMAGE, 21, 11, 21, 11 + TOKENS_PER_IMAGE];
  const all = 1 + costs.reduce((a, b) => a + b, 0);

  it('keeps every turn when the prompt and the answer reserve fit', () => {
    const r = fitTurns(turns, costs, all + ANSWER_RESERVE, 1024);
    expect(r).toEqual({ turns, dropped: 0, promptTokens: all });
  });

  it('reserves only maxTokens when that is smaller than the reserve', () => {
    expect(fitTurns(turns, costs, all + 10, 10).dropped).toBe(0);
    expect(fitTurns(turns, costs, all + 9, 10).dropped).toBe(2);
  });

  it('drops the oldest exchange whole (the image turn and its answer), never a part of a turn', () => {
    const r = fitTurns(turns, costs, all + ANSWER_RESERVE - 1, 1024);
    expect(r.dropped).toBe(2);
    expect(r.turns).toEqual(turns.slice(2));
    expect(r.promptTokens).toBe(all - costs[0]! - costs[1]!);
    // Every image that is sent is whole: the kept turns still hold all 1024 codes.
    for (const t of r.turns) for (const s of t.segments) if (s.type === 'image') expect(s.codes).toHaveLength(1024);
  });

  it('drops as many exchanges as needed, keeping the newest user turn', () => {
    const r = fitTurns(turns, costs, 1 + costs[4]! + ANSWER_RESERVE, 1024);
    expect(r.turns).toEqual([turns[4]]);
    expect(r.dropped).toBe(4);
  });

  it('an exchange with several answers (regenerations are siblings, but a branch may merge turns) goes as one', () => {
    const t = [user('a'), answer('b'), answer('b2'), user('c')];
    const c = [11, 21, 21, 11];
    const r = fitTurns(t, c, 1 + 11 + ANSWER_RESERVE, 1024);
    expect(r.turns).toEqual([t[3]]);
  });

  it('refuses a message that cannot fit on its own, before sending, naming its images', () => {
    let caught: unknown;
    try {
      fitTurns([user('x', 3)], [11 + 3 * TOKENS_PER_IMAGE], 2048, 1024);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    const err = caught as AppError;
    expect(err.code).toBe('engine.contextOverflow');
    expect(err.message).toMatch(/3 images at 1026 tokens each/);
    expect(err.details).toMatchObject({ messageTokens: 1 + 11 + 3 * 1026, images: 3, contextSize: 2048, reserve: ANSWER_RESERVE });
  });
});
