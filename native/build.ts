// Builds the VQ-GAN addon to native/build/<platform>/vqgan.node (<platform> as node-llama-cpp and
// electron-builder name it: linux-x64, mac-arm64, win-x64). Run by `npm install` (postinstall) for
// this machine, and by hand with `node native/build.ts [--force] [--target win-x64]`; win-x64 on
// Linux is a cross build with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix), and on Windows the
// build uses MinGW-w64's g++ from PATH too (the code uses GCC vector extensions, and one compiler
// for Windows is the one CI proves under Wine; the release ships the Linux-built one). Idempotent: skips
// when the sources and headers are unchanged. The addon links no ggml library (it opens
// node-llama-cpp's at run time), so only ggml's headers are needed: they come from the llama.cpp git
// bundle that node-llama-cpp ships, checked out into the git-ignored native/.ggml/ (never committed).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonRelPath, prebuiltPlatform } from '../main/images/vqgan/prebuiltPlatform.ts';

const nativeDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(nativeDir);
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const force = args.includes('--force');
const hostTarget = prebuiltPlatform();
const target = args.includes('--target') ? (args[args.indexOf('--target') + 1] ?? '') : hostTarget;
// the cross builds this script knows; anything else must be built on its own platform
const CROSS_TOOLCHAINS: Record<string, string> = { 'win-x64': path.join(nativeDir, 'mingw-w64-x86_64.cmake') };

function log(msg: string): void {
  console.log(`[vqgan addon ${target}] ${msg}`);
}

function run(cmd: string, cmdArgs: string[]): void {
  execFileSync(cmd, cmdArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * ggml headers (and llama.h, for llama_model_quantize's parameter struct) matching the shipped
 * libraries, from node-llama-cpp's llama.cpp bundle.
 */
function ggmlIncludeDir(): string {
  const bundle = path.join(repoRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  const checkout = path.join(nativeDir, '.ggml', 'llama.cpp');
  const include = path.join(checkout, 'ggml', 'include');
  if (existsSync(path.join(include, 'ggml-backend.h')) && existsSync(path.join(checkout, 'include', 'llama.h'))) return include;
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp's source bundle is missing: ${bundle}`);
  log("extracting ggml headers from node-llama-cpp's llama.cpp bundle …");
  rmSync(checkout, { recursive: true, force: true });
  mkdirSync(path.dirname(checkout), { recursive: true });
  run('git', ['clone', '--quiet', '--no-checkout', bundle, checkout]);
  run('git', ['-C', checkout, 'checkout', '--quiet', 'HEAD', '--', 'ggml/include', 'include']);
  return include;
}

function fingerprint(include: string, toolchain: string | undefined): string {
  const h = createHash('sha256');
  const files = [
    path.join(nativeDir, 'CMakeLists.txt'),
    path.join(nativeDir, 'build.ts'),
    ...readdirSync(path.join(nativeDir, 'src')).sort().map((f) => path.join(nativeDir, 'src', f)),
    path.join(include, 'ggml.h'),
    path.join(include, 'ggml-backend.h'),
    path.join(include, '..', '..', 'include', 'llama.h'),
    ...(toolchain ? [toolchain] : []),
  ];
  for (const f of files) if (existsSync(f)) h.update(f).update(readFileSync(f));
  return h.update(target).digest('hex');
}

function main(): void {
  const toolchain = target === hostTarget ? undefined : CROSS_TOOLCHAINS[target];
  if (target !== hostTarget && !toolchain) throw new Error(`no cross build for ${target} from ${hostTarget}; known: ${Object.keys(CROSS_TOOLCHAINS).join(', ')}`);
  const addonPath = path.join(repoRoot, addonRelPath(target));
  const outDir = path.dirname(addonPath);
  const stampPath = path.join(outDir, 'stamp.json');
  const include = ggmlIncludeDir();
  const stamp = fingerprint(include, toolchain);
  if (!force && existsSync(addonPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    log('up to date');
    return;
  }
  const started = Date.now();
  const napiHeaders = require('node-api-headers') as { include_dir: string; def_paths: { node_api_def: string } };
  const napiIncludes = [napiHeaders.include_dir, path.resolve(repoRoot, require('node-addon-api').include_dir as string)];
  // outside build/ (and hidden): tsc's native/**/*.ts glob would pick up CMake's compiler_depend.ts
  const cmakeDir = path.join(nativeDir, '.ggml', `cmake-build-${target}`);
  log('building …');
  run('cmake', [
    '-S', nativeDir, '-B', cmakeDir, '-DCMAKE_BUILD_TYPE=Release',
    ...(toolchain ? [`-DCMAKE_TOOLCHAIN_FILE=${toolchain}`] : []),
    ...(process.platform === 'win32' ? ['-G', 'MinGW Makefiles', '-DCMAKE_CXX_COMPILER=g++'] : []),
    `-DNODE_API_INCLUDE_DIRS=${napiIncludes.join(';')}`, `-DNODE_API_DEF=${napiHeaders.def_paths.node_api_def}`,
    `-DGGML_INCLUDE_DIR=${include}`, `-DLLAMA_INCLUDE_DIR=${path.join(include, '..', '..', 'include')}`, `-DADDON_OUT_DIR=${outDir}`, '--log-level=WARNING',
  ]);
  run('cmake', ['--build', cmakeDir, '--parallel', '2']);
  writeFileSync(stampPath, stamp);
  log(`built ${path.relative(repoRoot, addonPath)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  main();
} catch (err) {
  // A failed addon build must not break `npm install` for everything else; the app reports
  // vqgan.backendUnavailable when it needs the addon. CI's golden tests will fail loudly instead.
  console.error(`[vqgan addon ${target}] build failed: ${(err as Error).message}`);
  process.exitCode = process.env.VQGAN_BUILD_STRICT ? 1 : 0;
}
