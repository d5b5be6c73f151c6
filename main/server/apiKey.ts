// The API key every request to the local server must carry. Generated once, stored in the data
// dir readable by the user only, and reused on later starts; the environment can override it.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors.ts';

export const API_KEY_FILE_NAME = 'api-key';
export const API_KEY_ENV = 'CHAMELEON_API_KEY';

export interface ApiKey {
  key: string;
  /** Where it came from, for the start-up message. */
  source: 'env' | 'file';
  /** The key file (also reported when the environment overrides it). */
  path: string;
  /** True when this start generated the key. */
  created: boolean;
}

/** A fresh key: 32 random bytes, URL-safe, with a prefix that makes it recognisable in configs. */
export function generateApiKey(): string {
  return `chm-${randomBytes(32).toString('base64url')}`;
}

export async function resolveApiKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<ApiKey> {
  const path = join(dataDir, API_KEY_FILE_NAME);
  const fromEnv = env[API_KEY_ENV]?.trim();
  if (fromEnv) return { key: fromEnv, source: 'env', path, created: false };

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const existing = await readKeyFile(path);
  if (existing) return { key: existing, source: 'file', path, created: false };

  const key = generateApiKey();
  if (existing === '') {
    // An emptied file (a half-finished edit): replace it, and make sure it is private.
    await writeFile(path, `${key}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    return { key, source: 'file', path, created: true };
  }
  try {
    // 'wx': never overwrite a key another process wrote a moment ago.
    await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = await readKeyFile(path);
    if (!raced) throw new AppError('internal', `The API key file ${path} is empty.`, { path });
    return { key: raced, source: 'file', path, created: false };
  }
  return { key, source: 'file', path, created: true };
}

/** The stored key; '' for an empty file, null when there is no file. */
async function readKeyFile(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const key = text.trim();
  if (key === '') return '';
  // Someone loosened the permissions (a copy, an archive tool): tighten them again.
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return key;
}
