import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../main/contract/errors.ts';
import { errorAdvice } from '../../../renderer/src/lib/errorAdvice.ts';

describe('errorAdvice', () => {
  it('gives every error code a title, a hint and an action', () => {
    for (const code of ERROR_CODES) {
      const a = errorAdvice({ code, message: 'x' });
      expect(a.title.length, code).toBeGreaterThan(0);
      expect(a.hint.length, code).toBeGreaterThan(0);
      if (a.action !== 'none') expect(a.actionLabel.length, code).toBeGreaterThan(0);
      // "restart the app" is the advice of last resort, never for a code we can explain.
      if (code !== 'internal' && code !== 'vqgan.internal' && code !== 'vqgan.badCodes') expect(a.hint, code).not.toContain('restart the app');
    }
  });

  it('branches on the code: model problems lead to choosing a model, an engine crash to retrying', () => {
    expect(errorAdvice({ code: 'model.notChameleon', message: '' }).action).toBe('chooseModel');
    expect(errorAdvice({ code: 'model.notChameleon', message: '' }).hint).toContain('nopperl/chameleon-7b-GGUF');
    expect(errorAdvice({ code: 'engine.crashed', message: '' }).action).toBe('retry');
    expect(errorAdvice({ code: 'engine.crashed', message: '' }).hint).toContain('kept');
    expect(errorAdvice({ code: 'engine.contextOverflow', message: '' }).action).toBe('openSettings');
  });

  it('offers nothing that cannot help, and tells a typo from a moved file (issue 15, defects 10-11)', () => {
    // A refused key: reloading the page sends the same key again.
    expect(errorAdvice({ code: 'api.unauthorized', message: '' }).action).toBe('none');
    expect(errorAdvice({ code: 'import.invalid', message: '' }).title).toBe('Not a transcript we can read');
    expect(errorAdvice({ code: 'model.notFound', message: '' }).hint).not.toContain('moved or deleted');
    expect(errorAdvice({ code: 'api.badRequest', message: '' }).title).not.toBe('Something went wrong');
  });
});
