import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../main/contract/errors.ts';
import { httpStatusFor, openAiErrorBody } from '../../../main/server/httpErrors.ts';

describe('coded errors over HTTP', () => {
  it('maps codes to sensible statuses', () => {
    expect(httpStatusFor('api.badRequest')).toBe(400);
    expect(httpStatusFor('api.unauthorized')).toBe(401);
    expect(httpStatusFor('api.forbiddenOrigin')).toBe(403);
    expect(httpStatusFor('api.notFound')).toBe(404);
    expect(httpStatusFor('api.payloadTooLarge')).toBe(413);
    expect(httpStatusFor('api.noModel')).toBe(503);
    expect(httpStatusFor('image.inputUnavailable')).toBe(400);
    expect(httpStatusFor('engine.contextOverflow')).toBe(400);
    expect(httpStatusFor('engine.busy')).toBe(429);
    expect(httpStatusFor('engine.crashed')).toBe(502);
    expect(httpStatusFor('model.notFound')).toBe(503);
    expect(httpStatusFor('internal')).toBe(500);
    for (const code of ERROR_CODES) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
  });

  it('builds an OpenAI-shaped body carrying our code and the param', () => {
    expect(openAiErrorBody({ code: 'api.badRequest', message: 'bad', details: { param: 'temperature' } })).toEqual({
      error: { message: 'bad', type: 'invalid_request_error', code: 'api.badRequest', param: 'temperature', details: { param: 'temperature' } },
    });
    expect(openAiErrorBody({ code: 'api.unauthorized', message: 'no' })).toEqual({
      error: { message: 'no', type: 'authentication_error', code: 'api.unauthorized', param: null },
    });
    expect(openAiErrorBody({ code: 'engine.crashed', message: 'x' }).error.type).toBe('server_error');
  });
});
