import { describe, expect, it } from 'vitest';
import { droppedBefore } from '../../../renderer/src/lib/droppedTurns.ts';

const user = (id: number) => ({ id, role: 'user' as const });
const answer = (id: number, prompt: number, completion: number) => ({ id, role: 'assistant' as const, tokens: { prompt, completion } });

describe('droppedBefore: where the context policy left older turns out', () => {
  it('marks the question whose answer saw a shorter history than the one before', () => {
    const marks = droppedBefore([user(1), answer(2, 20, 480), user(3), answer(4, 30, 10)]);
    expect([...marks]).toEqual([3]);
  });

  it('marks nothing while every prompt holds the whole chat (small re-tokenizing differences allowed)', () => {
    expect(droppedBefore([user(1), answer(2, 20, 100), user(3), answer(4, 140, 50), user(5), answer(6, 186, 5)]).size).toBe(0);
  });

  it('skips answers without counts (stopped before any, or still streaming)', () => {
    expect(droppedBefore([user(1), { id: 2, role: 'assistant' as const }, user(3), answer(4, 30, 10)]).size).toBe(0);
  });
});
