import { describe, expect, it } from 'vitest';
import { defaultThreads, flashAttentionFor } from '../../../main/engine/host/llamaRuntime.ts';
import { samplerTopK, TOP_P_CANDIDATES } from '../../../main/engine/host/generation.ts';
import { hostEnv } from '../../../main/engine/launchers/hostEnv.ts';

describe('engine tuning (issue 14)', () => {
  it('decodes with one thread per physical core while a logical CPU stays free, at least one, capped on large machines', () => {
    // SMT: the siblings stay free
    expect(defaultThreads(4, 8)).toBe(4);
    expect(defaultThreads(8, 16)).toBe(8);
    expect(defaultThreads(64, 128)).toBe(16);
    // no SMT: one core is left for the UI and the OS
    expect(defaultThreads(2, 2)).toBe(1);
    expect(defaultThreads(8, 8)).toBe(7);
    expect(defaultThreads(1, 1)).toBe(1);
    expect(defaultThreads(0, 1)).toBe(1);
  });

  it('turns flash attention off on the CPU only', () => {
    expect(flashAttentionFor('cpu')).toBe(false);
    for (const gpu of ['cuda', 'metal', 'vulkan'] as const) expect(flashAttentionFor(gpu)).toBe('auto');
  });

  it('caps the candidates ahead of top-p only when top-k is off and top-p is on', () => {
    expect(samplerTopK(0, 0.9)).toBe(TOP_P_CANDIDATES);
    expect(samplerTopK(0, 1)).toBe(0);
    expect(samplerTopK(40, 0.9)).toBe(40);
    expect(samplerTopK(5000, 0.9)).toBe(5000);
  });

  it('starts every host with one libuv pool thread, keeping the rest of the environment', () => {
    expect(hostEnv({ PATH: '/bin', UV_THREADPOOL_SIZE: '8' })).toEqual({ PATH: '/bin', UV_THREADPOOL_SIZE: '1' });
  });
});
