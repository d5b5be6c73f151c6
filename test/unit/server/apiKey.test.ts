import { mkdtempSync, readFileSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY_FILE_NAME, generateApiKey, resolveApiKey } from '../../../main/server/apiKey.ts';

const freshDir = (): string => join(mkdtempSync(join(tmpdir(), 'chm-key-')), 'data dir');

describe('API key', () => {
  it('generates distinct, long, URL-safe keys', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^chm-[A-Za-z0-9_-]{43}$/);
  });

  it('creates the data dir and a user-only key file on first start, then reuses it', async () => {
    const dir = freshDir();
    const first = await resolveApiKey(dir, {});
    expect(first).toMatchObject({ source: 'file', created: true, path: join(dir, API_KEY_FILE_NAME) });
    expect(readFileSync(first.path, 'utf8').trim()).toBe(first.key);
    if (process.platform !== 'win32') {
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o077).toBe(0);
    }
    const second = await resolveApiKey(dir, {});
    expect(second).toMatchObject({ key: first.key, source: 'file', created: false });
  });

  it('tightens a key file whose permissions were loosened', async () => {
    if (process.platform === 'win32') return;
    const dir = freshDir();
    const { path, key } = await resolveApiKey(dir, {});
    chmodSync(path, 0o644);
    expect((await resolveApiKey(dir, {})).key).toBe(key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('prefers CHAMELEON_API_KEY without touching the file, and regenerates an emptied file', async () => {
    const dir = freshDir();
    const { path, key } = await resolveApiKey(dir, {});
    const env = await resolveApiKey(dir, { CHAMELEON_API_KEY: '  from-env  ' });
    expect(env).toMatchObject({ key: 'from-env', source: 'env', created: false });
    expect(readFileSync(path, 'utf8').trim()).toBe(key);

    writeFileSync(path, '\n');
    const again = await resolveApiKey(dir, { CHAMELEON_API_KEY: '' });
    expect(again).toMatchObject({ source: 'file', created: true });
    expect(again.key).not.toBe(key);
    expect(readFileSync(path, 'utf8').trim()).toBe(again.key);
  });
});
