// electron-builder.ts, checked offline: electron-builder's own loader and JSON-schema validation,
// the key properties, and its file filter (the same minimatch-based function it packs with) run
// over the paths that matter, per platform, so the "only this platform's llama.cpp binaries" rule
// and the asar unpacking are proven without downloading Electron. (test/packaging/unpackedApp.test.ts
// runs the real `--dir` builds.)
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builderConfig } from '../../../electron-builder.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const require = createRequire(import.meta.url);

interface Matcher {
  negate: boolean;
  match(path: string, partial?: boolean): boolean;
}
type MinimatchCtor = new (pattern: string, options: { dot: boolean }) => Matcher;
interface PlatformConfig {
  icon: string;
  target: { target: string }[];
  /** the whole list per platform: a global list would be a separate file set (see the config) */
  files: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  files: unknown[];
  asarUnpack: string[];
  directories: { buildResources: string; output: string };
  win: PlatformConfig;
  mac: PlatformConfig;
  linux: PlatformConfig;
}

const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<BuilderConfig>;
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const { createFilter } = require('app-builder-lib/out/util/filter.js') as {
  createFilter(src: string, patterns: Matcher[]): (file: string, stat: { isDirectory(): boolean; moduleFullFilePath?: string }) => boolean;
};
const { Minimatch } = require('minimatch') as { Minimatch: MinimatchCtor };
const quiet = { isEnabled: false, add: () => undefined };

/**
 * The filter electron-builder applies, with ${os}/${arch} expanded as it does. App files go through
 * `files` as written; node_modules through "**\/*" plus the patterns (only the exclusions, in
 * older versions): `onlyExclusions` checks that the config means the same either way.
 */
function packs(config: BuilderConfig, os: 'linux' | 'mac' | 'win', arch: string, as: 'app' | 'modules' | 'modulesExclusionsOnly' = 'app'): (path: string) => boolean {
  const raw = config[os].files.map((p) => p.replaceAll('${os}', os).replaceAll('${arch}', arch));
  const list = as === 'app' ? raw : ['**/*', ...raw.filter((p) => as === 'modules' || p.startsWith('!'))];
  const filter = createFilter('/app', list.map((p) => new Minimatch(p, { dot: true })));
  const file = { isDirectory: () => false };
  return (path) => filter(`/app/${path}`, file);
}

function unpacked(config: BuilderConfig): (path: string) => boolean {
  const patterns = config.asarUnpack.map((p) => new Minimatch(p, { dot: true }));
  return (path) => patterns.some((p) => p.match(path));
}

describe('electron-builder.ts', async () => {
  const config = await getConfig(ROOT, null, null);

  it('passes electron-builder’s own schema validation (and a broken copy does not)', async () => {
    await expect(validateConfiguration(config, quiet)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, nsis: { oneClik: false } }, quiet)).rejects.toThrow(/configuration\.nsis/);
  });

  it('names the app and targets NSIS, dmg, AppImage and deb with icons from resources/', () => {
    expect(config.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(config.productName).toBe('Chameleon Desktop');
    expect(config.productName).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).productName);
    expect(config.directories.buildResources).toBe('resources');
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac.target.map((t) => t.target)).toEqual(['dmg']);
    expect(config.linux.target.map((t) => t.target)).toEqual(['AppImage', 'deb']);
    for (const icon of [config.win.icon, config.mac.icon, join(config.linux.icon, '256x256.png'), join(config.linux.icon, '512x512.png')]) {
      expect(existsSync(join(ROOT, icon)), icon).toBe(true);
    }
  });

  it('packs the app code, the renderer and the native addon, without source maps or tools', () => {
    const linux = packs(config, 'linux', 'x64');
    for (const p of ['package.json', 'dist/main/app/electronMain.js', 'dist/main/app/preload.cjs', 'dist/main/engine/host/engineHost.js', 'renderer/dist/index.html', 'native/build/linux-x64/vqgan.node']) {
      expect(linux(p), p).toBe(true);
    }
    for (const p of ['dist/main/app/electronMain.js.map', 'dist/main/app/tools/buildIcons.js', 'main/app/electronMain.ts', 'test/unit/app/security.test.ts', 'renderer/src/App.svelte', 'native/build/win-x64/vqgan.node']) {
      expect(linux(p), p).toBe(false);
    }
  });

  it.each<['linux' | 'mac' | 'win', string, string[]]>([
    ['linux', 'x64', ['linux-x64', 'linux-x64-vulkan']],
    ['mac', 'arm64', ['mac-arm64-metal']],
    ['win', 'x64', ['win-x64', 'win-x64-vulkan']],
  ])('packs only the %s-%s llama.cpp binaries, never CUDA', (os, arch, wanted) => {
    const all = ['linux-x64', 'linux-x64-vulkan', 'linux-x64-cuda', 'linux-x64-cuda-ext', 'linux-arm64', 'linux-armv7l', 'mac-arm64-metal', 'mac-x64', 'win-x64', 'win-x64-vulkan', 'win-x64-cuda', 'win-x64-cuda-ext', 'win-arm64'];
    const included = packs(config, os, arch, 'modulesExclusionsOnly');
    expect(all.filter((pkg) => included(`node_modules/@node-llama-cpp/${pkg}/bins/${pkg}/libllama.so`))).toEqual(wanted);
    const allPatterns = packs(config, os, arch, 'modules');
    expect(all.filter((pkg) => allPatterns(`node_modules/@node-llama-cpp/${pkg}/package.json`))).toEqual(wanted);
    expect(included('node_modules/node-llama-cpp/dist/index.js')).toBe(true);
    expect(included('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(included('node_modules/node-llama-cpp/llama/llama.cpp/src/llama.cpp')).toBe(false);
    expect(included('node_modules/node-llama-cpp/llama/binariesGithubRelease.json')).toBe(true);
  });

  it.each<['linux' | 'win', string[]]>([
    ['linux', ['linux-x64', 'linux-x64-vulkan', 'linux-x64-cuda', 'linux-x64-cuda-ext']],
    ['win', ['win-x64', 'win-x64-vulkan', 'win-x64-cuda', 'win-x64-cuda-ext']],
  ])('the CUDA edition for %s-x64 adds node-llama-cpp’s CUDA builds, and says so in its file name', (os, wanted) => {
    const all = ['linux-x64', 'linux-x64-vulkan', 'linux-x64-cuda', 'linux-x64-cuda-ext', 'win-x64', 'win-x64-vulkan', 'win-x64-cuda', 'win-x64-cuda-ext'];
    const cuda = builderConfig({ cuda: true }) as unknown as BuilderConfig;
    const included = packs(cuda, os, 'x64', 'modulesExclusionsOnly');
    expect(all.filter((pkg) => included(`node_modules/@node-llama-cpp/${pkg}/bins/${pkg}/libggml-base.so`))).toEqual(wanted);
    expect((cuda as unknown as { artifactName: string }).artifactName).toMatch(/-cuda\.\$\{ext\}$/);
    expect((config as unknown as { artifactName: string }).artifactName).not.toMatch(/cuda/);
  });

  it('unpacks every native module from the asar', () => {
    const isUnpacked = unpacked(config);
    for (const p of [
      'native/build/linux-x64/vqgan.node',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so',
      'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node',
      'node_modules/@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal/default.metallib',
      'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node',
      'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.17.3',
      'node_modules/@img/sharp-win32-x64/lib/libvips-42.dll',
    ]) {
      expect(isUnpacked(p), p).toBe(true);
    }
    expect(isUnpacked('dist/main/app/electronMain.js')).toBe(false);
  });
});
