import { describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { assertAuthorized, assertLocalOrigin, assertSingleHeaders, bearerMatches, redactedUrl } from '../../../main/server/auth.ts';

function codeOf(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
}

describe('bearerMatches', () => {
  const key = 'chm-secret-key';
  it('accepts the exact key, with any case of the scheme', () => {
    expect(bearerMatches(`Bearer ${key}`, key)).toBe(true);
    expect(bearerMatches(`bearer ${key}`, key)).toBe(true);
    expect(bearerMatches(`Bearer   ${key} `, key)).toBe(true);
  });
  it('rejects missing, other schemes, prefixes, extensions and empty keys', () => {
    expect(bearerMatches(undefined, key)).toBe(false);
    expect(bearerMatches('', key)).toBe(false);
    expect(bearerMatches(key, key)).toBe(false);
    expect(bearerMatches(`Basic ${key}`, key)).toBe(false);
    expect(bearerMatches(`Bearer ${key.slice(0, -1)}`, key)).toBe(false);
    expect(bearerMatches(`Bearer ${key}x`, key)).toBe(false);
    expect(bearerMatches('Bearer ', key)).toBe(false);
    expect(bearerMatches(`Bearer ${key} extra`, key)).toBe(false);
  });
  it('assertAuthorized throws api.unauthorized, saying whether the key was missing or wrong', () => {
    expect(codeOf(() => assertAuthorized({ authorization: 'Bearer k' }, 'k'))).toBe('ok');
    expect(() => assertAuthorized({}, 'k')).toThrow(/Missing API key/);
    expect(() => assertAuthorized({ authorization: 'Bearer x' }, 'k')).toThrow(/Invalid API key/);
    expect(codeOf(() => assertAuthorized({ authorization: 'Bearer x' }, 'k'))).toBe('api.unauthorized');
  });
});

describe('assertLocalOrigin (DNS rebinding guard)', () => {
  const port = 4567;
  it('accepts our loopback names on our port, with or without an Origin of the same', () => {
    expect(codeOf(() => assertLocalOrigin({ host: '127.0.0.1:4567' }, port))).toBe('ok');
    expect(codeOf(() => assertLocalOrigin({ host: 'localhost:4567' }, port))).toBe('ok');
    expect(codeOf(() => assertLocalOrigin({ host: 'LOCALHOST:4567' }, port))).toBe('ok');
    expect(codeOf(() => assertLocalOrigin({ host: '127.0.0.1:4567', origin: 'http://127.0.0.1:4567' }, port))).toBe('ok');
    expect(codeOf(() => assertLocalOrigin({ host: '127.0.0.1:4567', origin: 'http://localhost:4567' }, port))).toBe('ok');
  });
  it('refuses foreign or missing Host values', () => {
    for (const host of ['evil.example:4567', 'evil.example', '127.0.0.1', '127.0.0.1:4568', 'localhost', '[::1]:4567', '0.0.0.0:4567', undefined]) {
      expect(codeOf(() => assertLocalOrigin({ host }, port)), String(host)).toBe('api.forbiddenOrigin');
    }
  });
  it('refuses foreign Origins even when the Host is ours', () => {
    for (const origin of ['http://evil.example', 'http://evil.example:4567', 'null', 'https://127.0.0.1:4567', 'http://127.0.0.1:4568', 'http://localhost']) {
      expect(codeOf(() => assertLocalOrigin({ host: '127.0.0.1:4567', origin }, port)), origin).toBe('api.forbiddenOrigin');
    }
  });
});

describe('assertSingleHeaders and redactedUrl', () => {
  it('refuses a repeated Host, Origin or key header, whatever its case', () => {
    expect(codeOf(() => assertSingleHeaders(['Host', '127.0.0.1:1', 'Accept', '*/*', 'accept', 'text/html']))).toBe('ok');
    expect(codeOf(() => assertSingleHeaders(['Host', '127.0.0.1:1', 'host', 'evil.example']))).toBe('api.badRequest');
    expect(codeOf(() => assertSingleHeaders(['Origin', 'http://127.0.0.1:1', 'ORIGIN', 'http://evil.example']))).toBe('api.badRequest');
    expect(codeOf(() => assertSingleHeaders(['authorization', 'Bearer a', 'Authorization', 'Bearer b']))).toBe('api.badRequest');
  });

  it('keeps keys out of logged URLs', () => {
    expect(redactedUrl('/v1/models?key=chm-secret&x=1')).toBe('/v1/models?key=[redacted]&x=1');
    expect(redactedUrl('/a?x=1&api_key=s3cret#f')).toBe('/a?x=1&api_key=[redacted]#f');
    expect(redactedUrl('/a?monkey=1')).toBe('/a?monkey=1');
  });
});
