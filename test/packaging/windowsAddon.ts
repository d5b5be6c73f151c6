// The mingw-w64 cross build of the VQ-GAN addon, shared by the test files that need it. Test files
// run in parallel workers and CMake must not run twice in one build folder, so builds take a lock
// directory; native/build.ts itself skips an up-to-date build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { addonRelPath } from '../../main/images/vqgan/prebuiltPlatform.ts';
import { ROOT } from './prebuiltPackages.ts';

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

export async function ensureWindowsAddon(): Promise<string> {
  const lock = path.join(ROOT, 'native', '.ggml', 'win-x64.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`cross-build lock ${lock} held too long`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'node'), [path.join(ROOT, 'native', 'build.ts'), '--target', 'win-x64'], {
      env: { ...process.env, VQGAN_BUILD_STRICT: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return WIN_ADDON;
}
