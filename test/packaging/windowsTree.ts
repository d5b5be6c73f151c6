// A Windows copy of the app's Node side, assembled on Linux: main/ (Node 22 runs the TypeScript
// itself), the mingw-w64-built VQ-GAN addon, this repo's platform-neutral runtime packages, and the
// win32 builds of the native ones from the npm registry (node-llama-cpp's win-x64 prebuilds, sharp's
// win32-x64; better-sqlite3 carries its win32-x64 prebuild already). What `npm run serve` runs on
// Windows, minus npm.
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { addonRelPath } from '../../main/images/vqgan/prebuiltPlatform.ts';
import { prebuiltPackage, ROOT } from './prebuiltPackages.ts';

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  os?: string[];
}

/** The win32 packages the app loads on Windows x64 (the GPU ones are optional at run time). */
const WINDOWS_PACKAGES = ['@node-llama-cpp/win-x64', '@img/sharp-win32-x64'];

/** Top-level runtime packages of the lockfile that are not tied to another OS. */
function portableRuntimePackages(): string[] {
  const { packages } = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  return Object.entries(packages)
    .filter(([key, p]) => key.startsWith('node_modules/') && key.lastIndexOf('node_modules/') === 0 && !p.dev && !p.devOptional && !p.os)
    .map(([key]) => key.slice('node_modules/'.length));
}

/**
 * Assembles the tree in `dir` (emptied first). Packages are symlinked from this checkout's
 * node_modules (Wine sees a Linux symlink as the folder itself), the win32 ones from the cache.
 */
export function assembleWindowsTree(dir: string, extraFolders: string[] = []): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'node_modules', '@node-llama-cpp'), { recursive: true });
  // resources/catalog: the model catalog main/models reads at start.
  for (const rel of ['main', 'package.json', 'resources/catalog', addonRelPath('win-x64'), ...extraFolders]) {
    cpSync(path.join(ROOT, rel), path.join(dir, rel), { recursive: true, dereference: true });
  }
  for (const pkg of portableRuntimePackages()) {
    mkdirSync(path.dirname(path.join(dir, 'node_modules', pkg)), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(dir, 'node_modules', pkg));
  }
  for (const pkg of WINDOWS_PACKAGES) {
    mkdirSync(path.dirname(path.join(dir, 'node_modules', pkg)), { recursive: true });
    symlinkSync(prebuiltPackage(pkg), path.join(dir, 'node_modules', pkg));
  }
}
