// `npm start` without the Electron binary (as on our machines) explains what is missing and how to
// get it, exit code 1 and no stack trace; with a binary it runs it on the app like `electron .`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findElectron, missingElectronMessage } from '../../../main/app/tools/startElectron.ts';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'main', 'app', 'tools', 'startElectron.ts');
const work = mkdtempSync(path.join(tmpdir(), 'chameleon-start-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function electronPackage(name: string, pathTxt?: string, binary?: string): string {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.5.0' }));
  if (pathTxt) writeFileSync(path.join(dir, 'path.txt'), pathTxt);
  if (binary) {
    mkdirSync(path.dirname(path.join(dir, 'dist', binary)), { recursive: true });
    writeFileSync(path.join(dir, 'dist', binary), '');
  }
  return dir;
}

describe('npm start', () => {
  it("finds Electron's binary where electron's own loader would, without downloading", () => {
    const installed = electronPackage('installed', 'electron', 'electron');
    expect(findElectron(installed, {}, 'linux')).toEqual({ binary: path.join(installed, 'dist', 'electron') });
    const mac = electronPackage('mac', undefined, 'Electron.app/Contents/MacOS/Electron');
    expect(findElectron(mac, {}, 'darwin')).toEqual({ binary: path.join(mac, 'dist', 'Electron.app/Contents/MacOS/Electron') });
    const skipped = electronPackage('skipped');
    expect(findElectron(skipped, {}, 'win32')).toEqual({ missing: path.join(skipped, 'dist', 'electron.exe'), version: '45.5.0' });
    expect(findElectron(skipped, { ELECTRON_OVERRIDE_DIST_PATH: path.join(installed, 'dist') }, 'linux')).toEqual({ binary: path.join(installed, 'dist', 'electron') });
    expect(findElectron(skipped, {}, 'aix')).toEqual({ missing: 'Electron has no build for aix', version: '45.5.0' });
  });

  it('says what is missing and how to get it, exit 1, no stack trace', () => {
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(work, 'nothing-here') } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`needs the Electron 45.5.0 binary for ${process.platform}-${process.arch}`);
    expect(run.stderr).toContain(`missing: ${path.join(work, 'nothing-here')}`);
    expect(run.stderr).toContain('node node_modules/electron/install.js');
    expect(run.stderr).toContain('npm run serve');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(missingElectronMessage({ missing: 'x', version: '1.2.3' }, 'win32', 'x64')).toContain('electron-v1.2.3-win32-x64');
  });

  it.skipIf(process.platform === 'win32')('runs the binary on the app folder with the arguments given, and exits with its code', () => {
    const dist = path.join(work, 'stand-in');
    mkdirSync(dist, { recursive: true });
    const binary = path.join(dist, 'electron');
    writeFileSync(binary, '#!/bin/sh\necho "args: $*"\nexit 3\n');
    chmodSync(binary, 0o755);
    const run = spawnSync(process.execPath, [SCRIPT, '--smoke-test=/m/tiny.gguf'], { encoding: 'utf8', env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dist } });
    expect(run.stdout.trim()).toBe('args: . --smoke-test=/m/tiny.gguf');
    expect(run.status).toBe(3);
  });
});
