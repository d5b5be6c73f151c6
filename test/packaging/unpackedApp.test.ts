// What the installers would contain, checked from electron-builder's own output: `--dir` builds
// for Linux, Windows and macOS (a stand-in for the Electron binary, which cannot be downloaded
// here), then the app.asar listing and app.asar.unpacked are inspected: our compiled code, the
// target's VQ-GAN addon, node-llama-cpp's prebuilt binaries for that platform only (no CUDA),
// better-sqlite3's and sharp's native parts for that platform only — every native file of the
// target's binary format —, nothing from test/, no source maps, no llama.cpp sources. Prints sizes.
// Then the Linux and Windows packages' own files run: extracted, they answer one message through
// runSmokeTest (what --smoke-test runs) in Node, and in Windows Node under Wine.
import { extractAll, listPackage } from '@electron/asar';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, openSync, readSync, closeSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ggmlBasePackage } from '../../main/images/vqgan/prebuiltPlatform.ts';
import { packageUnpacked, resourcesDir, TARGETS, WORK_DIR, type PackageTarget } from './packageApp.ts';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { ROOT } from './prebuiltPackages.ts';
import { runWindowsNode, stopWine, wineBinary, winPath } from './wine.ts';
import { crossRequired, ensureWindowsAddon, hasMingw } from './windowsAddon.ts';

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

function sizeOf(dir: string): number {
  return walk(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}

const MAGIC: Record<PackageTarget['os'], (head: Buffer) => boolean> = {
  linux: (h) => h.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])),
  win: (h) => h.subarray(0, 2).toString('latin1') === 'MZ',
  // thin 64-bit Mach-O or a universal binary
  mac: (h) => h.readUInt32LE(0) === 0xfeedfacf || h.readUInt32BE(0) === 0xcafebabe,
};

function head(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(8);
    readSync(fd, b, 0, 8, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

const GGML_BASE: Record<PackageTarget['os'], string> = { linux: 'libggml-base.so', win: 'ggml-base.dll', mac: 'libggml-base.dylib' };
const SHARP: Record<string, string[]> = {
  'linux-x64': ['sharp-libvips-linux-x64', 'sharp-linux-x64'],
  'win-x64': ['sharp-win32-x64'],
  'mac-arm64': ['sharp-darwin-arm64', 'sharp-libvips-darwin-arm64'],
};
const LLAMA: Record<string, string[]> = {
  'linux-x64': ['linux-x64', 'linux-x64-vulkan'],
  'win-x64': ['win-x64', 'win-x64-vulkan'],
  'mac-arm64': ['mac-arm64-metal'],
};

const canBuild = (t: PackageTarget): boolean => t.os !== 'win' || hasMingw || crossRequired;

interface PackagedSmoke {
  platform: string;
  result: { ok: boolean; answer?: string; error?: unknown };
  ggml: { loadedFrom: string; cpuVariant: string };
}

/** Extracts the package (asar, then the unpacked files over it) and runs packagedSmoke.mjs in it. */
async function runPackaged(target: PackageTarget, resources: string): Promise<PackagedSmoke | undefined> {
  const runnable = target.os === 'linux' || (target.os === 'win' && (wineBinary() !== undefined || crossRequired));
  if (!runnable) return undefined;
  const dir = path.join(WORK_DIR, `extracted-${target.name}`);
  rmSync(dir, { recursive: true, force: true });
  extractAll(path.join(resources, 'app.asar'), dir);
  cpSync(path.join(resources, 'app.asar.unpacked'), dir, { recursive: true });
  copyFileSync(path.join(import.meta.dirname, 'packagedSmoke.mjs'), path.join(dir, 'packagedSmoke.mjs'));
  const out = path.join(dir, 'smoke.json');
  if (target.os === 'linux') {
    execFileSync(process.execPath, [path.join(dir, 'packagedSmoke.mjs'), tinyChameleonGguf(), out], { cwd: dir, stdio: 'inherit' });
  } else {
    try {
      const run = await runWindowsNode([winPath(path.join(dir, 'packagedSmoke.mjs')), winPath(tinyChameleonGguf()), winPath(out)], { cwd: dir, outDir: path.join(dir, 'wine-out'), prefix: 'package' });
      expect(run.code, run.stderr).toBe(0);
    } finally {
      stopWine('package');
    }
  }
  return JSON.parse(readFileSync(out, 'utf8')) as PackagedSmoke;
}

describe.skipIf(process.platform !== 'linux')('electron-builder --dir', () => {
  for (const target of TARGETS) {
    it.skipIf(!canBuild(target))(`${target.name}: the asar holds what the app needs for ${target.name} and nothing else`, { timeout: 600_000 }, async () => {
      if (target.os === 'win') ensureWindowsAddon();
      const out = await packageUnpacked(target);
      const resources = resourcesDir(target, out);
      const asarFiles = listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((p) => p.replaceAll('\\', '/').replace(/^\//, ''));
      const unpackedDir = path.join(resources, 'app.asar.unpacked');
      const unpacked = walk(unpackedDir);

      // our code, compiled, and the renderer bundle
      for (const p of ['package.json', 'dist/main/app/electronMain.js', 'dist/main/app/preload.cjs', 'dist/main/engine/host/engineHost.js', 'dist/main/images/vqgan/nativeAddon.js', 'renderer/dist/index.html', 'resources/catalog/models.json', 'dist/main/models/ModelLibrary.js']) {
        expect(asarFiles, p).toContain(p);
      }
      expect(asarFiles.some((p) => /^renderer\/dist\/assets\/.+\.js$/.test(p))).toBe(true);
      expect(asarFiles.filter((p) => /^(main|test|renderer\/src|native\/src)\//.test(p))).toEqual([]);
      expect(asarFiles.filter((p) => p.endsWith('.map'))).toEqual([]);
      expect(asarFiles.filter((p) => /node-llama-cpp\/llama\/(llama\.cpp\/|gitRelease\.bundle|addon\/)/.test(p))).toEqual([]);
      expect(asarFiles.filter((p) => /better-sqlite3\/(deps|src)\//.test(p))).toEqual([]);

      // the addon: the target's build only (macOS builds it on macOS: the release workflow)
      const addons = unpacked.filter((p) => p.startsWith('native/'));
      const ownAddon = existsSync(path.join(ROOT, 'native', 'build', target.name, 'vqgan.node'));
      expect(addons).toEqual(ownAddon ? [`native/build/${target.name}/vqgan.node`] : []);
      if (target.os !== 'mac') expect(ownAddon).toBe(true);

      // node-llama-cpp: this platform's CPU and GPU builds, never CUDA, with the ggml the addon opens
      const llama = [...new Set(unpacked.filter((p) => p.startsWith('node_modules/@node-llama-cpp/')).map((p) => p.split('/')[2]))].sort();
      expect(llama).toEqual(LLAMA[target.name]);
      const base = ggmlBasePackage(target.name);
      expect(unpacked).toContain(`node_modules/@node-llama-cpp/${base}/bins/${base}/${GGML_BASE[target.os]}`);
      // better-sqlite3 and sharp: this platform's native parts only
      expect(unpacked.filter((p) => p.startsWith('node_modules/better-sqlite3/prebuilds/'))).toEqual([`node_modules/better-sqlite3/prebuilds/${target.nodePlatform}-${target.arch}.node`]);
      const sharp = [...new Set(unpacked.filter((p) => /^node_modules\/@img\/sharp-/.test(p)).map((p) => p.split('/')[2]))].sort();
      expect(sharp).toEqual(SHARP[target.name]);
      expect(unpacked).toContain('node_modules/sharp/dist/index.mjs');

      // every native file is built for the target
      const natives = unpacked.filter((p) => /\.(node|so|dll|dylib)(\.[\d.]+)?$/.test(p));
      expect(natives.length).toBeGreaterThan(10);
      expect(natives.filter((p) => !MAGIC[target.os](head(path.join(unpackedDir, p))))).toEqual([]);

      const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
      const app = path.dirname(target.os === 'mac' ? path.dirname(resources) : resources);
      const smoke = await runPackaged(target, resources);
      if (smoke) {
        expect(smoke.platform).toBe(target.nodePlatform);
        expect(smoke.result).toMatchObject({ ok: true });
        expect(smoke.result.answer!.length).toBeGreaterThan(0);
        expect(smoke.ggml.loadedFrom.replaceAll('\\', '/')).toMatch(new RegExp(`extracted-${target.name}/node_modules/@node-llama-cpp/${base}/bins/${base}$`));
      }

      console.log(`[package ${target.name}] app.asar ${mb(statSync(path.join(resources, 'app.asar')).size)}, app.asar.unpacked ${mb(sizeOf(unpackedDir))} (${unpacked.length} files), whole app without Electron ${mb(sizeOf(app))}`);
    });
  }
});
