// `<dataDir>/models/models.json`: what is installed and which downloads are waiting or paused, so
// a download survives closing the app (or a crash) and a paused one stays paused. Written
// atomically (temp file + rename).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../contract/errors.ts';
import { InstalledModelSchema } from '../contract/models.ts';

export const ModelsFileSchema = z.object({
  version: z.literal(1),
  installed: z.array(InstalledModelSchema),
  /** In queue order; `paused` ones wait for models.resume. */
  downloads: z.array(z.object({ id: z.string(), paused: z.boolean() })),
});
export type ModelsFile = z.infer<typeof ModelsFileSchema>;

export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

function filePath(dataDir: string): string {
  return join(modelsDir(dataDir), 'models.json');
}

export async function readModelsFile(dataDir: string): Promise<ModelsFile> {
  const path = filePath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, installed: [], downloads: [] };
    throw err;
  }
  const parsed = ModelsFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AppError('settings.invalid', `The models list ${path} is invalid: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`, { path });
  return parsed.data;
}

export async function writeModelsFile(dataDir: string, file: ModelsFile): Promise<void> {
  const path = filePath(dataDir);
  await mkdir(modelsDir(dataDir), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(ModelsFileSchema.parse(file), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
