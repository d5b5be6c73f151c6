// `engines.json` in the data folder: the remote engines the user added and which engine is active.
// No key is in it: each engine's API key is its own file beside it (engine-key-<id>), sealed with
// the OS keychain (Electron safeStorage) where available, else plain in a 0600 file (server mode),
// through the same store as the Hub token. Missing file: no remote engines, the local one active.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../contract/errors.ts';
import { EngineIdSchema, LOCAL_ENGINE_ID, RemoteEngineConfigSchema } from '../contract/remoteEngines.ts';
import { fileTokenStore, type TokenSealer, type TokenStore } from '../models/hubToken.ts';

export const ENGINES_FILE_NAME = 'engines.json';

const EnginesFileSchema = z.object({
  version: z.literal(1),
  active: EngineIdSchema,
  engines: z.array(RemoteEngineConfigSchema).max(64),
});
export type EnginesFile = z.infer<typeof EnginesFileSchema>;

export async function readEnginesFile(dataDir: string): Promise<EnginesFile> {
  const path = join(dataDir, ENGINES_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, active: LOCAL_ENGINE_ID, engines: [] };
    throw new AppError('settings.invalid', `Could not read ${path}: ${(err as Error).message}`, { path });
  }
  let parsed: ReturnType<typeof EnginesFileSchema.safeParse>;
  try {
    parsed = EnginesFileSchema.safeParse(JSON.parse(text));
  } catch {
    throw new AppError('settings.invalid', `The engines file ${path} is not valid JSON.`, { path });
  }
  if (!parsed.success) throw new AppError('settings.invalid', `The engines file ${path} is invalid at ${parsed.error.issues[0]?.path.join('.') || 'the file'}.`, { path });
  const file = parsed.data;
  // An active id whose engine is gone (edited by hand) falls back to the local engine.
  if (file.active !== LOCAL_ENGINE_ID && !file.engines.some((e) => e.id === file.active)) return { ...file, active: LOCAL_ENGINE_ID };
  return file;
}

/** Atomic (temp file + rename), 0600. */
export async function writeEnginesFile(dataDir: string, file: EnginesFile): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, ENGINES_FILE_NAME);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(EnginesFileSchema.parse(file), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** The API key store of one engine. */
export function engineKeyStore(dataDir: string, id: string, sealer?: TokenSealer): TokenStore {
  return fileTokenStore(dataDir, sealer, `engine-key-${id}`);
}

export async function forgetEngineKey(dataDir: string, id: string): Promise<void> {
  await rm(join(dataDir, `engine-key-${id}`), { force: true });
  await rm(join(dataDir, `engine-key-${id}.sealed`), { force: true });
}
