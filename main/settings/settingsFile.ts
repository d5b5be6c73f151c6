// Reads and writes `settings.json` in the data dir. A missing file means defaults; a file that is
// not valid JSON or does not match the schema is a coded error naming the file, never silently
// replaced (the user may have edited it by hand).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors.ts';
import { AppSettingsSchema, DEFAULT_SETTINGS, type AppSettings, type AppSettingsInput } from './settingsSchema.ts';

export const SETTINGS_FILE_NAME = 'settings.json';

export function settingsPath(dataDir: string): string {
  return join(dataDir, SETTINGS_FILE_NAME);
}

export async function readSettings(dataDir: string): Promise<AppSettings> {
  const path = settingsPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(DEFAULT_SETTINGS);
    throw new AppError('settings.invalid', `Could not read the settings file ${path}: ${(err as Error).message}`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('settings.invalid', `The settings file ${path} is not valid JSON: ${(err as Error).message}`, { path });
  }
  const parsed = AppSettingsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the file';
    throw new AppError('settings.invalid', `The settings file ${path} is invalid at ${where}: ${issue?.message ?? 'unknown problem'}`, {
      path,
      field: where,
    });
  }
  return parsed.data;
}

/** Validates, then writes atomically (temp file + rename) so a crash never leaves half a file. */
export async function writeSettings(dataDir: string, settings: AppSettingsInput): Promise<AppSettings> {
  const valid = AppSettingsSchema.parse(settings);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = settingsPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return valid;
}
