// One data folder, one owner: the lock file refuses a second owner, names the first, and takes over
// a lock whose process is gone (killed with -9, say).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, lockDataDir } from '../../../main/platform/dataDirLock.ts';
import { useTempDirs } from '../../fixtures/testKit.ts';

const freshDir = useTempDirs('chm-lock', 'each');

/** A pid no process can have: above the kernel's pid_max. */
function deadPid(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
  } catch {
    return 2 ** 22 + 1;
  }
}

describe('data folder lock', () => {
  it('writes the owner, refuses a second owner naming the first, and frees on release', () => {
    const dir = freshDir();
    const lock = lockDataDir(dir, 'Chameleon Desktop');
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), app: 'Chameleon Desktop' });
    let refusal: unknown;
    try {
      lockDataDir(dir, 'npm run serve');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toMatchObject({ code: 'app.dataDirInUse', details: { pid: process.pid, app: 'Chameleon Desktop' } });
    expect((refusal as Error).message).toContain(`process ${process.pid}`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    lockDataDir(dir, 'npm run serve').release();
  });

  it('refuses while another live process holds it', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: process.ppid, host: hostname(), since: 1, app: 'npm run serve' }));
    expect(() => lockDataDir(dir, 'Chameleon Desktop')).toThrow(expect.objectContaining({ code: 'app.dataDirInUse', details: expect.objectContaining({ pid: process.ppid }) }));
  });

  it('takes over a stale lock (dead owner) and an unreadable one', () => {
    const dir = freshDir();
    const path = join(dir, LOCK_FILE_NAME);
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: hostname(), since: 1, app: 'npm run serve' }));
    const lock = lockDataDir(dir, 'Chameleon Desktop');
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    writeFileSync(path, 'not json');
    lockDataDir(dir, 'Chameleon Desktop').release();
  });

  it('never removes a lock that another process took over in the meantime', () => {
    const dir = freshDir();
    const path = join(dir, LOCK_FILE_NAME);
    const lock = lockDataDir(dir, 'Chameleon Desktop');
    writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), since: 2, app: 'npm run serve' }));
    lock.release();
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.ppid);
  });
});
