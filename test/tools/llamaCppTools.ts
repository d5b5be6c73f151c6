// Builds llama.cpp's own tools — llama-server, rpc-server, llama-bench — from the llama.cpp source
// that node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle), so the remote
// engine tests and the benchmarks run the very llama.cpp the local engine links. CPU only, with
// ggml's RPC backend (node-llama-cpp's prebuilt binaries ship none), no network features.
//
// The result is cached outside the clone, keyed by the bundle's commit:
//   ~/.cache/chameleon-desktop/llama-cpp-tools/<commit>/{llama-server,rpc-server,llama-bench,tools.json}
// A present directory is never rebuilt. The build runs in a temporary sibling directory that is
// renamed into place only once all three binaries exist, so a killed build leaves nothing that looks
// finished (its build folder stays, so the next run resumes it instead of starting over); a lock directory keeps a second caller (CI, another engineer's script) from starting a
// second build of the same commit at the same time — it waits for the first instead.
//
// CLI: `node test/tools/llamaCppTools.ts` builds when needed and prints the directory;
// `--print` only prints where the tools are (or would be) without building.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LLAMA_CPP_TOOLS = ['llama-server', 'rpc-server', 'llama-bench'] as const;
export type LlamaCppTool = (typeof LLAMA_CPP_TOOLS)[number];
/** CMake's target (and binary) name of each tool: rpc-server is ggml's `ggml-rpc-server`. */
const CMAKE_TARGETS: Record<LlamaCppTool, string> = { 'llama-server': 'llama-server', 'rpc-server': 'ggml-rpc-server', 'llama-bench': 'llama-bench' };

// Release, static (one file per tool, nothing to find at run time), CPU with the RPC backend; the
// HTTPS client, the web UI (whose prebuilt assets would be downloaded) and everything else off.
const CMAKE_FLAGS = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DGGML_RPC=ON',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_APP=OFF',
  '-DGGML_CCACHE=OFF',
];

function bundlePath(): string {
  return path.join(repoRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
}

/** The llama.cpp commit node-llama-cpp ships (the bundle's HEAD). */
export function llamaCppCommit(): string {
  const heads = execFileSync('git', ['bundle', 'list-heads', bundlePath()], { encoding: 'utf8' });
  const head = /^([0-9a-f]{40}) HEAD$/m.exec(heads) ?? /^([0-9a-f]{40}) /m.exec(heads);
  if (!head) throw new Error(`no commit in node-llama-cpp's llama.cpp bundle: ${bundlePath()}`);
  return head[1]!;
}

export function llamaCppToolsRoot(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'chameleon-desktop', 'llama-cpp-tools');
}

/** Where the tools of the shipped llama.cpp live once built. */
export function llamaCppToolsDir(commit = llamaCppCommit()): string {
  return path.join(llamaCppToolsRoot(), commit);
}

/** The path of one built tool, or undefined when the cache holds none for this llama.cpp. */
export function llamaCppToolPath(tool: LlamaCppTool): string | undefined {
  const file = path.join(llamaCppToolsDir(), tool);
  return existsSync(file) ? file : undefined;
}

function log(msg: string): void {
  console.log(`[llama.cpp tools] ${msg}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** mkdir is atomic: whoever creates the lock builds; a lock whose owner died is taken over. */
function acquireLock(lockDir: string, finalDir: string): boolean {
  for (let waitedLogged = false; ; ) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (existsSync(finalDir)) return false;
    let owner = NaN;
    try {
      owner = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // the owner has created the directory but not yet written its pid
    }
    const ageMs = Date.now() - statSync(lockDir, { throwIfNoEntry: false })!.mtimeMs;
    if ((Number.isFinite(owner) && !pidAlive(owner)) || (!Number.isFinite(owner) && ageMs > 60_000)) {
      log(`taking over the lock of a build that is gone (pid ${owner})`);
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!waitedLogged) log(`another build (pid ${owner}) is running; waiting for it`);
    waitedLogged = true;
    sleep(10_000);
  }
}

function run(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} … exited with ${r.status ?? r.signal}`);
}

/** Builds the tools unless the cache already has them; returns their directory. */
export function ensureLlamaCppTools(): string {
  const commit = llamaCppCommit();
  const finalDir = llamaCppToolsDir(commit);
  if (existsSync(finalDir)) return finalDir;
  const root = llamaCppToolsRoot();
  mkdirSync(root, { recursive: true });
  const lockDir = path.join(root, `.lock-${commit}`);
  if (!acquireLock(lockDir, finalDir)) return finalDir;
  const work = path.join(root, `.build-${commit}`);
  let built = false;
  try {
    if (existsSync(finalDir)) return finalDir;
    const started = Date.now();
    const src = path.join(work, 'src');
    const build = path.join(work, 'build');
    const out = path.join(work, 'out');
    log(`building ${LLAMA_CPP_TOOLS.join(', ')} of llama.cpp ${commit.slice(0, 12)} into ${finalDir} (CPU, RPC; takes a while)`);
    if (!existsSync(path.join(src, '.git'))) {
      rmSync(work, { recursive: true, force: true });
      run('git', ['clone', '--quiet', bundlePath(), src]);
      run('git', ['-C', src, 'checkout', '--quiet', commit]);
    }
    run('cmake', ['-S', src, '-B', build, ...CMAKE_FLAGS, '--log-level=WARNING']);
    // nice: the machine that runs this is shared with the tests and other builds
    run('nice', ['-n', '10', 'cmake', '--build', build, '-j2', '--target', ...LLAMA_CPP_TOOLS.map((t) => CMAKE_TARGETS[t])]);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    for (const tool of LLAMA_CPP_TOOLS) {
      const binary = path.join(build, 'bin', CMAKE_TARGETS[tool]);
      if (!existsSync(binary)) throw new Error(`the build produced no ${tool}`);
      copyFileSync(binary, path.join(out, tool));
      chmodSync(path.join(out, tool), 0o755);
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(path.join(out, 'tools.json'), `${JSON.stringify({ commit, cmakeFlags: CMAKE_FLAGS, tools: LLAMA_CPP_TOOLS, buildSeconds: seconds, builtAt: new Date().toISOString() }, null, 2)}\n`);
    renameSync(out, finalDir);
    built = true;
    log(`built in ${seconds} s`);
    return finalDir;
  } finally {
    if (built) rmSync(work, { recursive: true, force: true });
    rmSync(lockDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(process.argv.includes('--print') ? llamaCppToolsDir() : ensureLlamaCppTools());
  } catch (err) {
    console.error(`[llama.cpp tools] ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
