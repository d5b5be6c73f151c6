// `npm start`'s launcher: runs Electron on the built app like `electron .`, but when Electron's
// binary is missing (its download from GitHub failed or was skipped, as on our CI machines) it says
// what is missing and how to get it instead of `electron`'s own attempt to download again and its
// stack trace. A development tool: not packaged (electron-builder.ts excludes dist/main/app/tools).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where electron's install script puts the binary, per platform (its path.txt holds the same). */
const PLATFORM_PATHS: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'Electron.app/Contents/MacOS/Electron',
  linux: 'electron',
  freebsd: 'electron',
  openbsd: 'electron',
  win32: 'electron.exe',
};

export type ElectronLookup = { binary: string } | { missing: string; version: string };

/**
 * The Electron executable of the `electron` package in `electronDir`, without downloading: the
 * same places electron's index.js looks (ELECTRON_OVERRIDE_DIST_PATH, then dist/ per path.txt).
 */
export function findElectron(electronDir: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): ElectronLookup {
  const version = (JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8')) as { version: string }).version;
  const pathFile = path.join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : PLATFORM_PATHS[platform];
  if (!relative) return { missing: `Electron has no build for ${platform}`, version };
  const binary = env.ELECTRON_OVERRIDE_DIST_PATH ? path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative) : path.join(electronDir, 'dist', relative);
  return existsSync(binary) ? { binary } : { missing: binary, version };
}

export function missingElectronMessage(lookup: { missing: string; version: string }, platform: NodeJS.Platform, arch: string): string {
  return `Chameleon Desktop needs the Electron ${lookup.version} binary for ${platform}-${arch}, which is not installed:
  missing: ${lookup.missing}

npm downloads it from GitHub when it installs the electron package; that download failed or was
skipped (ELECTRON_SKIP_BINARY_DOWNLOAD). To get it, on a machine that can reach GitHub:
  node node_modules/electron/install.js
or point to an Electron ${lookup.version} you unpacked yourself:
  ELECTRON_OVERRIDE_DIST_PATH=/path/to/electron-v${lookup.version}-${platform}-${arch} npm start
(a mirror works too: ELECTRON_MIRROR=https://your.mirror/electron/ node node_modules/electron/install.js).

Without Electron, the same app runs in your browser: npm run serve`;
}

function main(): void {
  const electronDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const lookup = findElectron(electronDir, process.env, process.platform);
  if ('missing' in lookup) {
    console.error(missingElectronMessage(lookup, process.platform, process.arch));
    process.exitCode = 1;
    return;
  }
  const child = spawn(lookup.binary, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    console.error(`could not start ${lookup.binary}: ${err.message}`);
    process.exitCode = 1;
  });
  child.on('close', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main();
