// A typed path may start with `~` for the home folder, as in a shell: `~` and `~/…` (and `~\…`
// on Windows) are expanded; `~user` is left alone (no lookup of other users' homes).
import { homedir } from 'node:os';
import { join } from 'node:path';

export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}
