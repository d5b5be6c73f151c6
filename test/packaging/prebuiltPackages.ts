// Other platforms' npm packages (node-llama-cpp's win-x64/mac prebuilds, sharp's, Windows Node),
// fetched with `npm pack` from the registry and kept outside the clone, keyed by name and version,
// so packaging and Wine tests can assemble a Windows or macOS tree on Linux. Versions and integrity
// come from package-lock.json when the lockfile has the package (npm records every optional
// platform package); the tarball's sha512 is checked against it before it is unpacked.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Slow downloads and builds live here, outside the clone (CI keeps it between runs). */
export const CACHE_DIR = process.env.CHAMELEON_CACHE_DIR ?? path.join(homedir(), '.cache', 'chameleon-desktop');

interface LockEntry {
  version?: string;
  integrity?: string;
}

const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** The locked version of a package (platform packages are locked even when not installed). */
export function lockedVersion(name: string): string {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

function checkIntegrity(file: string, integrity: string): void {
  const [algo, expected] = integrity.split('-', 2) as [string, string];
  const actual = createHash(algo).update(readFileSync(file)).digest('base64');
  if (actual !== expected) throw new Error(`${path.basename(file)}: ${algo} ${actual} does not match the lockfile's ${expected}`);
}

/**
 * Runs `work` holding a lock directory: test files run in parallel processes, and a download,
 * an unpacking or a CMake build must not run twice at once in the same place.
 */
export function withLock<T>(lock: string, work: () => T): T {
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`lock ${lock} held too long`);
      // a lock older than any holder could be is left over from a killed run
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 900_000) rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The unpacked contents of `name@version` (the tarball's package/ folder), fetched once. Without a
 * version the lockfile's is used, and so is its integrity.
 */
export function prebuiltPackage(name: string, version: string = lockedVersion(name)): string {
  const dir = path.join(CACHE_DIR, 'npm', `${name.replace('/', '+')}@${version}`);
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  return withLock(path.join(CACHE_DIR, 'npm', 'fetch.lock'), () => fetchPackage(name, version, dir));
}

function fetchPackage(name: string, version: string, dir: string): string {
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  const tarballs = path.join(CACHE_DIR, 'npm', 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  const file = path.join(tarballs, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  if (!existsSync(file)) {
    execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tarballs, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const locked = lock.packages[`node_modules/${name}`];
  if (locked?.version === version && locked.integrity) checkIntegrity(file, locked.integrity);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  execFileSync('tar', ['xzf', file, '-C', partial, '--strip-components=1']);
  renameSync(partial, dir);
  return dir;
}
