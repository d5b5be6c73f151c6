import { describe, expect, it } from 'vitest';
import { STOP_REASON_TEXT, stopReasonOf } from '../../../renderer/src/lib/stopReason.ts';

const done = (prompt: number, completion: number, maxTokens = 100) => ({ status: 'complete' as const, tokens: { prompt, completion }, sampling: { maxTokens } });

describe('stopReasonOf: why an answer ended', () => {
  it('tells a max-tokens cut, a full context and an ended turn apart', () => {
    expect(stopReasonOf(done(20, 100), 4096)).toBe('maxTokens');
    expect(stopReasonOf(done(500, 12), 512)).toBe('contextFull');
    expect(stopReasonOf(done(20, 40), 4096)).toBe('endOfTurn');
  });

  it('keeps the stored status of answers that did not complete, and trusts the stream when it knows', () => {
    expect(stopReasonOf({ status: 'stopped' }, 4096)).toBe('stopped');
    expect(stopReasonOf({ status: 'error' }, 4096)).toBe('error');
    expect(stopReasonOf(done(20, 40), 4096, 'stopString')).toBe('stopString');
    expect(STOP_REASON_TEXT[stopReasonOf(done(20, 100), 4096)]).toContain('max answer tokens');
  });

  it('does not call an answer that drew cut short: its image tokens are not text tokens (issue 12)', () => {
    const drawn = { status: 'complete' as const, tokens: { prompt: 20, completion: 1025 }, sampling: { maxTokens: 1024, mode: 'image' } };
    expect(stopReasonOf(drawn, 4096)).toBe('endOfTurn');
    expect(stopReasonOf({ ...drawn, sampling: { maxTokens: 1024, mode: 'interleaved' } }, 4096, 'maxTokens')).toBe('maxTokens');
  });
});
