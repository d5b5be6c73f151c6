// Tests for main/platform/dataDir.ts (kept beside the server tests that use it).
import { describe, expect, it } from 'vitest';
import { PRODUCT_NAME, resolveDataDir } from '../../../main/platform/dataDir.ts';
import pkg from '../../../package.json' with { type: 'json' };

describe('resolveDataDir', () => {
  it('uses the folder name Electron derives from productName', () => {
    expect(PRODUCT_NAME).toBe(pkg.productName);
  });
  it('matches Electron userData per platform', () => {
    expect(resolveDataDir({ platform: 'linux', home: '/home/u', env: {} })).toBe('/home/u/.config/Chameleon Desktop');
    expect(resolveDataDir({ platform: 'linux', home: '/home/u', env: { XDG_CONFIG_HOME: '/xdg' } })).toBe('/xdg/Chameleon Desktop');
    expect(resolveDataDir({ platform: 'freebsd', home: '/home/u', env: { XDG_CONFIG_HOME: '' } })).toBe('/home/u/.config/Chameleon Desktop');
    expect(resolveDataDir({ platform: 'darwin', home: '/Users/u', env: {} })).toBe('/Users/u/Library/Application Support/Chameleon Desktop');
    expect(resolveDataDir({ platform: 'win32', home: 'C:\\Users\\u', env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' } })).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\Chameleon Desktop',
    );
    expect(resolveDataDir({ platform: 'win32', home: 'C:\\Users\\u', env: {} })).toBe('C:\\Users\\u\\AppData\\Roaming\\Chameleon Desktop');
  });
  it('lets --data-dir beat CHAMELEON_DATA_DIR, which beats the platform default; relative paths use cwd', () => {
    const env = { CHAMELEON_DATA_DIR: '/from/env', XDG_CONFIG_HOME: '/xdg' };
    expect(resolveDataDir({ platform: 'linux', home: '/h', env })).toBe('/from/env');
    expect(resolveDataDir({ platform: 'linux', home: '/h', env, override: '/from/flag' })).toBe('/from/flag');
    expect(resolveDataDir({ platform: 'linux', home: '/h', env, override: 'rel', cwd: '/work' })).toBe('/work/rel');
    expect(resolveDataDir({ platform: 'linux', home: '/h', env: { CHAMELEON_DATA_DIR: ' ' } })).toBe('/h/.config/Chameleon Desktop');
  });
});
