// The Electron shell's security policy, tested without Electron.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_START_URL, BRIDGE_GLOBAL, IPC_CHANNELS } from '../../../main/app/ipcChannels.ts';
import { isAllowedExternalUrl, isAppUrl, isTrustedSender, secureWebPreferences } from '../../../main/app/security.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('window options', () => {
  it('isolate, sandbox and never integrate Node', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('external links', () => {
  it.each([
    ['https://huggingface.co/nopperl/chameleon-7b-GGUF', true],
    ['http://example.com/a?b=c#d', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['app://chameleon/index.html', false],
    ['smb://server/share', false],
    ['ms-msdt:/id', false],
    ['https://user:pass@example.com/', false],
    ['https://', false],
    ['not a url', false],
    [`https://example.com/${'a'.repeat(5000)}`, false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedExternalUrl(url)).toBe(allowed);
  });
});

describe('IPC sender validation', () => {
  it('trusts only the app page in the top-level frame', () => {
    expect(isAppUrl(APP_START_URL)).toBe(true);
    expect(isTrustedSender({ url: APP_START_URL, isTopLevel: true })).toBe(true);
    expect(isTrustedSender({ url: 'app://chameleon/settings', isTopLevel: true })).toBe(true);
    expect(isTrustedSender({ url: APP_START_URL, isTopLevel: false })).toBe(false);
    expect(isTrustedSender({ url: 'app://evil/index.html', isTopLevel: true })).toBe(false);
    expect(isTrustedSender({ url: 'app://x@chameleon/index.html', isTopLevel: true })).toBe(false);
    expect(isTrustedSender({ url: 'https://chameleon/index.html', isTopLevel: true })).toBe(false);
    expect(isTrustedSender({ url: 'file:///app/index.html', isTopLevel: true })).toBe(false);
    expect(isTrustedSender({ url: undefined, isTopLevel: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });
});

describe('preload', () => {
  const source = readFileSync(join(ROOT, 'main', 'app', 'preload.cts'), 'utf8');
  it('repeats the channel names of ipcChannels.ts exactly', () => {
    for (const [key, channel] of Object.entries(IPC_CHANNELS)) expect(source).toContain(`${key}: '${channel}'`);
    expect(source).toContain(`exposeInMainWorld('${BRIDGE_GLOBAL}'`);
  });
  it('exposes one global and never ipcRenderer itself', () => {
    expect(source.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(source).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    // Sandboxed preloads are plain CommonJS: only electron may be required, and only types imported.
    expect(source.match(/require\('([^']+)'\)/g)).toEqual(["require('electron')"]);
    for (const line of source.split('\n').filter((l) => l.startsWith('import '))) expect(line).toMatch(/^import type /);
  });
});
