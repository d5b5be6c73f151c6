// The VQ-GAN addon on every platform without an import library: it links no ggml at all (the
// Linux build's undefined symbols name no ggml function; the Windows build imports only system
// DLLs), the Windows build is cross-compiled here with mingw-w64, and that build runs in Windows
// Node under Wine — also as a renamed executable, the way Electron's is — encoding the small golden
// fixture to Meta's reference codes. CI installs mingw-w64 and wine64 (.ci/run) and sets
// CHAMELEON_CROSS_REQUIRED so a missing tool fails there instead of skipping.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ggmlQuantizer } from '../../main/images/vqgan/nativeAddon.ts';
import { addonRelPath, prebuiltPlatform } from '../../main/images/vqgan/prebuiltPlatform.ts';
import { expectCodesMatch } from '../integration/vqgan/goldenAssertions.ts';
import { fixture, readF32, readI32 } from '../integration/vqgan/goldenFixtures.ts';
import { ROOT } from './prebuiltPackages.ts';
import { runWindowsNode, windowsNodeExe, wineBinary, winPath } from './wine.ts';
import { crossRequired, ensureWindowsAddon, hasMingw, WIN_ADDON } from './windowsAddon.ts';
import { assembleWindowsTree } from './windowsTree.ts';

const required = crossRequired;
const hasWine = wineBinary() !== undefined;

describe.skipIf(process.platform !== 'linux')('the Linux addon', () => {
  it('leaves no ggml function to the dynamic linker (all are resolved from libggml-base at run time)', () => {
    const addon = path.join(ROOT, addonRelPath(prebuiltPlatform()));
    const undefinedSymbols = execFileSync('nm', ['-D', '--undefined-only', addon], { encoding: 'utf8' });
    expect(undefinedSymbols).toMatch(/napi_create_object/);
    expect(undefinedSymbols.split('\n').filter((l) => /ggml/.test(l))).toEqual([]);
    expect(execFileSync('readelf', ['-d', addon], { encoding: 'utf8' })).not.toMatch(/NEEDED.*ggml/);
  });

  it("uses the libggml-base the process already holds (node-llama-cpp's GPU build in the engine host), not a second copy", () => {
    const vulkan = path.join(ROOT, 'node_modules', '@node-llama-cpp', 'linux-x64-vulkan', 'bins', 'linux-x64-vulkan');
    const script = `import { nativeGgmlInfo } from ${JSON.stringify(path.join(ROOT, 'main/images/vqgan/nativeAddon.ts'))}; console.log(JSON.stringify(nativeGgmlInfo()));`;
    const info = (preload?: string) =>
      JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...(preload ? { LD_PRELOAD: preload } : {}) } })) as { loadedFrom: string; cpuVariant: string };
    expect(info().loadedFrom).toBe(path.join(ROOT, 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64'));
    // LD_PRELOAD stands in for node-llama-cpp's addon having loaded its Vulkan build's ggml first
    const reused = info(path.join(vulkan, 'libggml-base.so'));
    expect(reused.loadedFrom).toBe(vulkan);
    expect(path.dirname(reused.cpuVariant)).toBe(vulkan);
  });
});

describe.skipIf(!required && !hasMingw)('the Windows addon, cross-compiled with mingw-w64', () => {
  it('builds, and imports only Windows system DLLs (no ggml-base, no mingw runtime; N-API delay-loaded)', async () => {
    ensureWindowsAddon();
    const headers = execFileSync('x86_64-w64-mingw32-objdump', ['-p', WIN_ADDON], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(headers).toMatch(/file format pei-x86-64/);
    const dlls = [...headers.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]!.toLowerCase()).sort();
    expect(dlls).toEqual(['kernel32.dll', 'msvcrt.dll']);
    expect(headers).toMatch(/\bnapi_register_module_v1\b/);
    // the delay-load descriptor names the host module the hook redirects
    expect(readFileSync(WIN_ADDON).includes('NODE.EXE')).toBe(true);
  });

  describe.skipIf(!required && !hasWine)('under Wine, in Windows Node', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'chameleon-wine-addon-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    async function encodeWith(exe: string | undefined, name: string): Promise<{ platform: string; ggml: { cpuVariant: string; loadedFrom: string }; codes: number[]; q4k: string }> {
      const tree = path.join(work, 'tree');
      if (!existsSync(tree)) {
        ensureWindowsAddon();
        assembleWindowsTree(tree, ['test/packaging/windows']);
      }
      const out = path.join(work, `${name}.json`);
      const args = [winPath(path.join(tree, 'test/packaging/windows/encodeSmall.ts')), winPath(fixture('small')), winPath(out)];
      const run = await runWindowsNode(args, { cwd: tree, outDir: path.join(work, name), exe });
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8'));
    }

    it("loads node-llama-cpp's ggml-base.dll and a CPU variant, and encodes to the reference codes", async () => {
      const result = await encodeWith(undefined, 'node');
      expect(result.platform).toBe('win32');
      expect(result.ggml.loadedFrom).toMatch(/node_modules\\@node-llama-cpp\\win-x64\\bins\\win-x64$/);
      expect(result.ggml.cpuVariant).toMatch(/\\ggml-cpu-[\w]+\.dll$/);
      const codes = Int32Array.from(result.codes);
      expectCodesMatch(codes, readI32(fixture('small', 'small_noattn', 'photo.codes.i32')), readF32(fixture('small', 'small_noattn', 'photo.code_margin.f32')));
      // ggml's quantizer through the Windows build writes the bytes the Linux build writes
      const input = readFileSync(fixture('small', 'preproc', 'photo.input.f32'));
      const linux = await ggmlQuantizer.quantize(12, new Float32Array(input.buffer.slice(input.byteOffset, input.byteOffset + 1024)), 1, 256);
      expect(result.q4k).toBe(Buffer.from(linux).toString('hex'));
    });

    it("works in an executable not named node.exe (Electron's), through the delay-load hook", async () => {
      const renamed = path.join(work, 'app', 'Chameleon Desktop.exe');
      mkdirSync(path.dirname(renamed), { recursive: true });
      copyFileSync(windowsNodeExe(), renamed);
      const result = await encodeWith(renamed, 'renamed');
      expect(result.codes).toEqual([...readI32(fixture('small', 'small_noattn', 'photo.codes.i32'))]);
    });
  });
});
