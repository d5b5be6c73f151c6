import { describe, expect, it } from 'vitest';
import { defaultThreads } from '../../../main/engine/host/llamaRuntime.ts';

describe('defaultThreads', () => {
  it('leaves a core free, never goes below one, and caps large machines', () => {
    expect(defaultThreads(1)).toBe(1);
    expect(defaultThreads(2)).toBe(1);
    expect(defaultThreads(8)).toBe(7);
    expect(defaultThreads(64)).toBe(16);
  });
});
