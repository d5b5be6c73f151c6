import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../main/contract/errors.ts';
import { errorAdvice } from '../../../renderer/src/lib/errorAdvice.ts';

describe('errorAdvice', () => {
  it('gives every error code a title, a hint and an action', () => {
    for (const code of ERROR_CODES) {
      const a = errorAdvice({ code, message: 'x' });
      expect(a.title.length, code).toBeGreaterThan(0);
      expect(a.hint.length, code).toBeGreaterThan(0);
      expect(a.actionLabel.length, code).toBeGreaterThan(0);
    }
  });

  it('branches on the code: model problems lead to choosing a model, an engine crash to retrying', () => {
    expect(errorAdvice({ code: 'model.notChameleon', message: '' }).action).toBe('chooseModel');
    expect(errorAdvice({ code: 'model.notChameleon', message: '' }).hint).toContain('nopperl/chameleon-7b-GGUF');
    expect(errorAdvice({ code: 'engine.crashed', message: '' }).action).toBe('retry');
    expect(errorAdvice({ code: 'engine.crashed', message: '' }).hint).toContain('kept');
    expect(errorAdvice({ code: 'engine.contextOverflow', message: '' }).action).toBe('openSettings');
    expect(errorAdvice({ code: 'api.unauthorized', message: '' }).action).toBe('reload');
  });
});
