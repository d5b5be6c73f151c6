// The model catalog: resources/catalog/models.json, checked against CatalogSchema when it is
// loaded so a bad edit fails loudly at start, not as a broken download later.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors.ts';
import { CatalogSchema, type Catalog, type CatalogEntry } from '../contract/models.ts';

/** Source tree (main/models) and build output (dist/main/models) both sit two or three levels below the root. */
export function defaultCatalogPath(): string {
  const candidates = [join(import.meta.dirname, '..', '..', 'resources'), join(import.meta.dirname, '..', '..', '..', 'resources')];
  const dir = candidates.find((c) => existsSync(join(c, 'catalog', 'models.json'))) ?? candidates[0]!;
  return join(dir, 'catalog', 'models.json');
}

export async function loadCatalog(path: string = defaultCatalogPath()): Promise<Catalog> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new AppError('models.catalogInvalid', `The model catalog ${path} could not be read as JSON: ${(err as Error).message}`, { path });
  }
  const parsed = CatalogSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the file';
    throw new AppError('models.catalogInvalid', `The model catalog ${path} is invalid at ${where}: ${issue?.message ?? 'unknown problem'}`, { path, field: where });
  }
  return parsed.data;
}

export function catalogEntry(catalog: Catalog, id: string): CatalogEntry {
  const entry = catalog.entries.find((e) => e.id === id);
  if (!entry) throw new AppError('models.notInCatalog', `"${id}" is not in the model catalog (see \`npm run models -- list\`).`, { id });
  return entry;
}
