import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mimeTypeOf, resolveAppPath } from '../../../main/app/appProtocol.ts';

const root = join('/opt', 'chameleon', 'renderer', 'dist');

describe('app:// protocol', () => {
  it('maps app URLs into the renderer folder', () => {
    expect(resolveAppPath('app://chameleon/index.html', root)).toBe(join(root, 'index.html'));
    expect(resolveAppPath('app://chameleon/assets/index-abc.js?v=1#x', root)).toBe(join(root, 'assets', 'index-abc.js'));
    expect(resolveAppPath('app://chameleon/', root)).toBe(join(root, 'index.html'));
    expect(resolveAppPath('app://chameleon/chats/12', root)).toBe(join(root, 'index.html'));
  });

  it('never leaves the folder and never serves other origins', () => {
    // The URL parser folds dot segments first: these land inside the folder, not in /etc.
    expect(resolveAppPath('app://chameleon/../../etc/passwd.txt', root)).toBe(join(root, 'etc', 'passwd.txt'));
    expect(resolveAppPath('app://chameleon/%2e%2e/%2e%2e/etc/passwd.txt', root)).toBe(join(root, 'etc', 'passwd.txt'));
    // Encoded slashes survive the parser; decoded, they would climb out: refused.
    expect(resolveAppPath('app://chameleon/..%2f..%2fsecret.txt', root)).toBeNull();
    expect(resolveAppPath('app://chameleon/a%5c..%5c..%5csecret.txt', root)).toBeNull();
    expect(resolveAppPath('app://chameleon/x%00.js', root)).toBeNull();
    expect(resolveAppPath('app://chameleon/%E0%A4%A', root)).toBeNull();
    expect(resolveAppPath('app://other/index.html', root)).toBeNull();
    expect(resolveAppPath('file:///etc/passwd', root)).toBeNull();
  });

  it('names content types', () => {
    expect(mimeTypeOf('a/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeOf('a/x.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeOf('a/y.bin')).toBe('application/octet-stream');
  });
});
