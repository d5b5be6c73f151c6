// Builds native/build/vqgan.node (the VQ-GAN addon). Run by `npm install` (postinstall) and by hand
// with `node native/build.ts [--force]`. Idempotent: skips when the sources, the ggml libraries and
// the headers are unchanged. Never commits ggml sources: the headers come from the llama.cpp git
// bundle that node-llama-cpp ships, checked out into the git-ignored native/.ggml/.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(nativeDir);
const outDir = path.join(nativeDir, 'build');
const addonPath = path.join(outDir, 'vqgan.node');
const stampPath = path.join(outDir, 'stamp.json');
const require = createRequire(import.meta.url);
const force = process.argv.includes('--force');

function log(msg: string): void {
  console.log(`[vqgan addon] ${msg}`);
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** node-llama-cpp's prebuilt CPU ggml for this platform (the folder with libggml-base). */
function ggmlLibDir(): string | undefined {
  const platform = `${process.platform}-${process.arch}`;
  const dir = path.join(repoRoot, 'node_modules', '@node-llama-cpp', platform, 'bins', platform);
  return existsSync(dir) ? dir : undefined;
}

/** ggml headers matching the shipped libraries, from node-llama-cpp's llama.cpp bundle. */
function ggmlIncludeDir(): string {
  const bundle = path.join(repoRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  const checkout = path.join(nativeDir, '.ggml', 'llama.cpp');
  const include = path.join(checkout, 'ggml', 'include');
  if (existsSync(path.join(include, 'ggml-backend.h'))) return include;
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp's source bundle is missing: ${bundle}`);
  log('extracting ggml headers from node-llama-cpp\'s llama.cpp bundle …');
  rmSync(checkout, { recursive: true, force: true });
  mkdirSync(path.dirname(checkout), { recursive: true });
  run('git', ['clone', '--quiet', '--no-checkout', bundle, checkout]);
  run('git', ['-C', checkout, 'checkout', '--quiet', 'HEAD', '--', 'ggml/include']);
  return include;
}

function fingerprint(libDir: string, include: string): string {
  const h = createHash('sha256');
  const files = [
    path.join(nativeDir, 'CMakeLists.txt'),
    path.join(nativeDir, 'build.ts'),
    ...readdirSync(path.join(nativeDir, 'src')).sort().map((f) => path.join(nativeDir, 'src', f)),
    path.join(libDir, process.platform === 'darwin' ? 'libggml-base.dylib' : 'libggml-base.so'),
    path.join(include, 'ggml.h'),
    path.join(include, 'ggml-backend.h'),
  ];
  for (const f of files) if (existsSync(f)) h.update(f).update(readFileSync(f));
  h.update(process.version.split('.')[0] ?? '');
  return h.digest('hex');
}

function main(): void {
  const libDir = ggmlLibDir();
  if (!libDir) {
    log(`no prebuilt ggml from node-llama-cpp for ${process.platform}-${process.arch}; skipping (image input will be unavailable)`);
    return;
  }
  const include = ggmlIncludeDir();
  const stamp = fingerprint(libDir, include);
  if (!force && existsSync(addonPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    log('up to date');
    return;
  }
  const started = Date.now();
  const napiIncludes = [require('node-api-headers').include_dir as string, path.resolve(repoRoot, require('node-addon-api').include_dir as string)];
  // outside build/ (and hidden): tsc's native/**/*.ts glob would pick up CMake's compiler_depend.ts
  const cmakeDir = path.join(nativeDir, '.ggml', 'cmake-build');
  // $ORIGIN-relative, so the repo (and a packaged app with the same layout) can move
  const rpath = ['$ORIGIN', `$ORIGIN/${path.relative(outDir, libDir)}`].join(';');
  log(`building against ${path.relative(repoRoot, libDir)} …`);
  run('cmake', [
    '-S', nativeDir, '-B', cmakeDir, '-DCMAKE_BUILD_TYPE=Release',
    `-DNODE_API_INCLUDE_DIRS=${napiIncludes.join(';')}`, `-DGGML_INCLUDE_DIR=${include}`, `-DGGML_LIB_DIR=${libDir}`,
    `-DGGML_RPATH=${rpath}`, `-DADDON_OUT_DIR=${outDir}`, '--log-level=WARNING',
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
  console.error(`[vqgan addon] build failed: ${(err as Error).message}`);
  process.exitCode = process.env.VQGAN_BUILD_STRICT ? 1 : 0;
}
