import { describe, expect, it } from 'vitest';
import { formatBytes, formatRate, fraction } from '../../../renderer/src/lib/format.ts';

describe('formatters', () => {
  it('formats speeds', () => {
    expect(formatRate(undefined)).toBe('–');
    expect(formatRate(12.345)).toBe('12.3 tok/s');
    expect(formatRate(151.2)).toBe('151 tok/s');
    expect(formatRate(Number.NaN)).toBe('–');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4.27 * 1024 ** 3)).toBe('4.3 GB');
    expect(formatBytes(14 * 1024 ** 3)).toBe('14 GB');
  });

  it('clamps meter fractions', () => {
    expect(fraction(1024, 4096)).toBe(0.25);
    expect(fraction(5000, 4096)).toBe(1);
    expect(fraction(10, 0)).toBe(0);
  });
});

describe('quantOf', () => {
  it('reads the quantization from common GGUF names', async () => {
    const { quantOf } = await import('../../../renderer/src/lib/format.ts');
    expect(quantOf('ggml-model-Q4_K_M.gguf')).toBe('Q4_K_M');
    expect(quantOf('chameleon-7b.q8_0.gguf')).toBe('Q8_0');
    expect(quantOf('chameleon-7b-f16.gguf')).toBe('F16');
    expect(quantOf('tiny-chameleon.gguf')).toBeUndefined();
  });
});
