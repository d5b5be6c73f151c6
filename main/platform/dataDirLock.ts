// One data folder, one owner: the desktop app and `npm run serve` must not share a history at the
// same time (the second would take the first's streaming answer for a crash and mark it
// interrupted). The lock is a file, `<dataDir>/lock`, holding the owner's pid, host and start
// time; it is created with O_EXCL (atomic on every OS), and a lock whose process is gone is taken
// over: renamed away first (rename is atomic, so of two processes racing for a stale lock, one
// wins), then created afresh. Released on dispose and, as a last resort, on exit.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { AppError } from '../contract/errors.ts';

export const LOCK_FILE_NAME = 'lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** Unix ms when the owner took the lock. */
  since: number;
  /** What holds it: 'Chameleon Desktop' or 'npm run serve'. */
  app: string;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists but is not ours to signal). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || !Number.isInteger(owner.pid) || owner.pid <= 0) return null;
    return { pid: owner.pid, host: String(owner.host ?? ''), since: Number(owner.since ?? 0), app: String(owner.app ?? 'another process') };
  } catch {
    return null;
  }
}

/** A lock is stale when its owner is gone: a dead pid on this host, or a file we cannot read. */
function isStale(owner: LockOwner | null): boolean {
  if (!owner) return true;
  if (owner.host !== hostname()) return false; // another machine on a shared folder: can't tell, keep it
  return owner.pid !== process.pid && !isAlive(owner.pid);
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new AppError('app.dataDirInUse', `Could not lock the data folder (${path}): ${(err as Error).message}`, { path });
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the data folder for this process, or throws app.dataDirInUse naming the process that holds
 * it. A stale lock (its process died, e.g. killed with -9) is taken over.
 */
export function lockDataDir(dataDir: string, app: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE_NAME);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: Date.now(), app };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, me)) return held(path);
    const owner = readOwner(path);
    if (!isStale(owner)) {
      const who = owner!;
      throw new AppError(
        'app.dataDirInUse',
        `The data folder ${dataDir} is in use by ${who.app} (process ${who.pid}${who.host === me.host ? '' : ` on ${who.host}`}, since ${new Date(who.since).toISOString()}). Quit it first, or use another folder (--data-dir).`,
        { path, pid: who.pid, host: who.host, app: who.app },
      );
    }
    // Stale: move it aside atomically (only one racer succeeds), then try again.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(path, aside);
      rmSync(aside, { force: true });
    } catch {
      // Someone else moved or replaced it first; look again.
    }
  }
  throw new AppError('app.dataDirInUse', `Could not lock the data folder ${dataDir}: other processes keep taking it.`, { path });
}

function held(path: string): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Remove it only while it is still ours.
    if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, release };
}
