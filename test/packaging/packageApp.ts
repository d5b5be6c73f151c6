// Builds the unpacked app (`electron-builder --dir`) for one target from a staged copy of the
// project, as `npm run dist` would on that platform: the compiled main process and renderer, the
// VQ-GAN addon built for the target, and node_modules holding this machine's runtime packages plus
// the target's platform packages from the npm registry (so the "only this platform" filters are
// exercised against the real other-platform files). Electron itself is a stand-in (standInElectron.ts).
// Staging uses hard links where the file system allows; everything lives under the git-ignored
// release/.packaging-test/.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureRendererBuilt } from '../e2e/harness.ts';
import { prebuiltPackage, ROOT } from './prebuiltPackages.ts';
import { standInElectron, type PackageOs } from './standInElectron.ts';

export interface PackageTarget {
  os: PackageOs;
  arch: 'x64' | 'arm64';
  /** node-llama-cpp / electron-builder name, e.g. win-x64 */
  name: string;
  /** Node's process.platform for the target */
  nodePlatform: 'linux' | 'win32' | 'darwin';
  /** platform packages fetched from the registry (when this machine is not the target) */
  fetch: string[];
}

export const TARGETS: PackageTarget[] = [
  { os: 'linux', arch: 'x64', name: 'linux-x64', nodePlatform: 'linux', fetch: [] },
  { os: 'win', arch: 'x64', name: 'win-x64', nodePlatform: 'win32', fetch: ['@node-llama-cpp/win-x64', '@node-llama-cpp/win-x64-vulkan', '@img/sharp-win32-x64'] },
  { os: 'mac', arch: 'arm64', name: 'mac-arm64', nodePlatform: 'darwin', fetch: ['@node-llama-cpp/mac-arm64-metal', '@img/sharp-darwin-arm64', '@img/sharp-libvips-darwin-arm64'] },
];

export const WORK_DIR = path.join(ROOT, 'release', '.packaging-test');

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
}

/** Hard-link copy (instant, no space) where possible, a plain copy across file systems. */
function linkCopy(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  try {
    execFileSync('cp', ['-al', from, to], { stdio: 'ignore' });
  } catch {
    rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true, dereference: true });
  }
}

let compiled: string | undefined;

/** tsc's build of main/ (what `npm run build` emits to dist/), once per test process. */
async function compiledDist(): Promise<string> {
  if (compiled) return compiled;
  const out = path.join(WORK_DIR, 'compiled', 'dist');
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'inherit' });
  await ensureRendererBuilt();
  compiled = out;
  return out;
}

function electronVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the packaged app's Resources folder (app.asar, app.asar.unpacked) ends up. */
export function resourcesDir(target: PackageTarget, outDir: string): string {
  if (target.os === 'mac') return path.join(outDir, `mac-${target.arch}`, 'Chameleon Desktop.app', 'Contents', 'Resources');
  return path.join(outDir, `${target.os}-${target.arch === 'x64' ? '' : `${target.arch}-`}unpacked`, 'resources');
}

/** Stages the project for `target`, runs electron-builder --dir and returns the output folder. */
export async function packageUnpacked(target: PackageTarget): Promise<string> {
  const dist = await compiledDist();
  const stage = path.join(WORK_DIR, `stage-${target.name}`);
  const outDir = path.join(WORK_DIR, `out-${target.name}`);
  rmSync(stage, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
  for (const rel of ['package.json', 'electron-builder.ts', 'resources']) cpSync(path.join(ROOT, rel), path.join(stage, rel), { recursive: true });
  linkCopy(dist, path.join(stage, 'dist'));
  linkCopy(path.join(ROOT, 'renderer', 'dist'), path.join(stage, 'renderer', 'dist'));
  // every addon built in this checkout: the filter must pick the target's
  const builds = path.join(ROOT, 'native', 'build');
  if (existsSync(builds)) linkCopy(builds, path.join(stage, 'native', 'build'));
  const { packages } = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  for (const [key, p] of Object.entries(packages)) {
    if (!key.startsWith('node_modules/') || key.lastIndexOf('node_modules/') !== 0 || p.dev || p.devOptional) continue;
    const installed = path.join(ROOT, key);
    if (existsSync(installed)) linkCopy(installed, path.join(stage, key));
  }
  for (const pkg of target.fetch) linkCopy(prebuiltPackage(pkg), path.join(stage, 'node_modules', pkg));

  const version = electronVersion();
  const electronDist = standInElectron(target.os, path.join(WORK_DIR, `electron-${target.os}-${version}`), version);
  const args = [`--${target.os}`, `--${target.arch}`, '--dir', '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.electronVersion=${version}`, `-c.directories.output=${outDir}`];
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'electron-builder', 'cli.js'), ...args], {
    cwd: stage,
    env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return outDir;
}
