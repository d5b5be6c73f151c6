// The app's version from package.json, found upwards from this module: two levels up when running
// from the sources (main/services), three from the build (dist/main/services).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function appVersion(): string {
  for (const up of [['..', '..'], ['..', '..', '..']]) {
    try {
      const pkg = JSON.parse(readFileSync(join(import.meta.dirname, ...up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'chameleon-desktop' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
}
