// The mingw-w64 cross build of the VQ-GAN addon, shared by the test files that need it (under a
// lock: CMake must not run twice in one build folder); native/build.ts skips an up-to-date build.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { addonRelPath } from '../../main/images/vqgan/prebuiltPlatform.ts';
import { ROOT, withLock } from './prebuiltPackages.ts';

export const WIN_ADDON = path.join(ROOT, addonRelPath('win-x64'));

export function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasMingw = hasTool('x86_64-w64-mingw32-g++-posix') && hasTool('x86_64-w64-mingw32-windres') && hasTool('x86_64-w64-mingw32-objdump');

/** CI installs the cross tools and sets this, so a missing tool fails there instead of skipping. */
export const crossRequired = process.env.CHAMELEON_CROSS_REQUIRED === '1';

export function ensureWindowsAddon(): string {
  withLock(path.join(ROOT, 'native', '.ggml', 'win-x64.lock'), () =>
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'node'), [path.join(ROOT, 'native', 'build.ts'), '--target', 'win-x64'], {
      env: { ...process.env, VQGAN_BUILD_STRICT: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  return WIN_ADDON;
}
