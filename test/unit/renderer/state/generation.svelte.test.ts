import { describe, expect, it } from 'vitest';
import type { GenerationPacket } from '../../../../main/contract/api.ts';
import type { ApiStream } from '../../../../main/contract/apiClient.ts';
import { Generation } from '../../../../renderer/src/state/generation.svelte.ts';
import { editedParts } from '../../../../renderer/src/state/chat.svelte.ts';

/** A stream that ended before any packet: only its cancel matters to Generation. */
function emptyStream(onCancel: () => void): ApiStream<GenerationPacket> {
  return {
    cancel: onCancel,
    async *[Symbol.asyncIterator]() {},
  };
}

describe('Generation: one running answer, owned by its chat', () => {
  it('collects the text, clears prompt progress on the first fragment and estimates the speed', () => {
    const g = new Generation(7, emptyStream(() => undefined));
    g.progress({ type: 'promptProgress', evaluated: 10, total: 40 });
    expect(g.promptProgress).toEqual({ evaluated: 10, total: 40 });
    g.append('Hello ', 1000);
    expect(g.promptProgress).toBeUndefined();
    expect(g.liveRate).toBeUndefined();
    g.append('there, a chameleon speaks.', 2000);
    expect(g.text).toBe('Hello there, a chameleon speaks.');
    // 32 characters ≈ 10 tokens over one second.
    expect(g.liveRate).toBeCloseTo(Math.ceil(32 / 3.5), 5);
  });

  it('continues an answer from its text so far, counting only the new text in the speed', () => {
    const g = new Generation(7, emptyStream(() => undefined));
    const assistant = { id: 3, conversationId: 7, parentId: 2, role: 'assistant' as const, status: 'streaming' as const, parts: [{ kind: 'text' as const, text: 'x'.repeat(3500) }], createdAt: 1, siblingIndex: 0, siblingCount: 1 };
    g.started(assistant);
    expect(g.text).toBe('x'.repeat(3500));
    g.append(' and', 1000);
    g.append(' then some more words.', 2000);
    expect(g.text).toBe(`${'x'.repeat(3500)} and then some more words.`);
    expect(g.liveRate).toBeCloseTo(Math.ceil(26 / 3.5), 5);
  });

  it('cancels through its own stream only', () => {
    let cancelled = 0;
    const g = new Generation(1, emptyStream(() => cancelled++));
    g.cancel();
    expect(cancelled).toBe(1);
    expect(g.conversationId).toBe(1);
  });
});

describe('editedParts: editing a message with images', () => {
  const image = { kind: 'image' as const, imageHash: 'a'.repeat(64), mime: 'image/png', width: 2, height: 2 };
  it('puts the new text where the old text was and keeps the images in place', () => {
    expect(editedParts([{ kind: 'text', text: 'old' }, image], ' new ')).toEqual([{ kind: 'text', text: 'new' }, image]);
    expect(editedParts([image, { kind: 'text', text: 'a' }, { kind: 'text', text: 'b' }], 'c')).toEqual([image, { kind: 'text', text: 'c' }]);
    expect(editedParts([image], 'added')).toEqual([image, { kind: 'text', text: 'added' }]);
    expect(editedParts([image, { kind: 'text', text: 'x' }], '  ')).toEqual([image]);
  });
});
