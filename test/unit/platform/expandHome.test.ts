import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandHome } from '../../../main/platform/expandHome.ts';

describe('expandHome (issue 15, defect 11: `~` in typed paths)', () => {
  it('expands ~ and ~/ to the home folder and leaves other paths alone', () => {
    expect(expandHome('~', '/home/ana')).toBe('/home/ana');
    expect(expandHome('~/models/chameleon.gguf', '/home/ana')).toBe(join('/home/ana', 'models/chameleon.gguf'));
    expect(expandHome('/abs/model.gguf', '/home/ana')).toBe('/abs/model.gguf');
    expect(expandHome('~bob/model.gguf', '/home/ana')).toBe('~bob/model.gguf');
    expect(expandHome('dir/~/x', '/home/ana')).toBe('dir/~/x');
  });
});
