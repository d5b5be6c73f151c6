import { fileURLToPath } from 'node:url';

/**
 * Path of the host entry next to this module: the .ts source when running from the repo (Node 22
 * strips types), the compiled .js inside the built app.
 */
export function hostEntryPath(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../host/engineHost${ext}`, import.meta.url));
}
