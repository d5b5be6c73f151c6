// The history file on disk: a damaged or unwritable database is a coded error that names the file
// and says what to do (never "[internal] file is not a database"); recovery moves the damaged file
// aside — it is never deleted — and restores the newest backup that passes an integrity check; and
// rolling online backups (SQLite's backup API through better-sqlite3, consistent while the app
// writes) are what make a damaged file not mean a lost history.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { AppError } from '../contract/errors.ts';
import { openDatabase } from './database.ts';

export const BACKUPS_DIR_NAME = 'backups';
/** How many backups are kept (newest first); one is taken at most once a day. */
export const BACKUPS_KEPT = 5;
export const BACKUP_INTERVAL_MS = 24 * 60 * 60 * 1000;
const BACKUP_NAME = /^history-(\d{8}T\d{6}Z)\.sqlite3$/;

const DAMAGED = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX']);
const UNWRITABLE = new Set(['SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_FULL', 'SQLITE_IOERR']);

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The backups in `dir`, newest first. */
export function listBackups(dataDir: string): { path: string; takenAt: string }[] {
  const dir = join(dataDir, BACKUPS_DIR_NAME);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const m = BACKUP_NAME.exec(name);
      return m ? [{ path: join(dir, name), takenAt: m[1]! }] : [];
    })
    .sort((a, b) => (a.takenAt < b.takenAt ? 1 : -1));
}

/** A SQLite failure at open → a coded error with the file and what to do about it. */
function openFailure(err: unknown, path: string, dataDir: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  const backups = listBackups(dataDir);
  const backupNote = backups.length > 0 ? ` ${backups.length} backup(s) exist in ${join(dataDir, BACKUPS_DIR_NAME)}, the newest from ${backups[0]!.takenAt}.` : ' No backup exists yet.';
  if (DAMAGED.has(code)) {
    return new AppError(
      'store.corrupt',
      `The chat history ${path} is damaged (${(err as Error).message}).${backupNote} Start with a recovered history — the damaged file is kept beside it, renamed — from the app's prompt, or with \`npm run serve -- --recover-history\`.`,
      { path, sqliteCode: code, backups: backups.length },
    );
  }
  if (UNWRITABLE.has(code)) {
    return new AppError(
      'store.unwritable',
      `The chat history ${path} cannot be written (${(err as Error).message}). Check that the disk has space and that the file and its folder ${dataDir} are writable by you.`,
      { path, sqliteCode: code },
    );
  }
  return err;
}

export interface RecoveryReport {
  /** Where the damaged file now is. */
  movedTo: string;
  /** The backup the history was restored from; absent: a fresh, empty history. */
  restoredFrom?: string;
}

/** Whether a database file opens and passes SQLite's integrity check. */
function isHealthy(path: string): boolean {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.pragma('integrity_check', { simple: true }) === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** Moves the damaged file (and its WAL) aside, then puts the newest healthy backup in its place. */
export function recoverHistory(path: string, dataDir: string, now: number = Date.now()): RecoveryReport {
  const movedTo = `${path}.damaged-${stamp(now)}`;
  renameSync(path, movedTo);
  for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  const backup = listBackups(dataDir).find((b) => isHealthy(b.path));
  if (!backup) return { movedTo };
  copyFileSync(backup.path, path);
  return { movedTo, restoredFrom: backup.path };
}

/** Opens the history at `path`; a damaged or unwritable file is store.corrupt / store.unwritable. */
export function openHistoryDatabase(path: string, dataDir: string): Db {
  try {
    return openDatabase(path);
  } catch (err) {
    throw openFailure(err, path, dataDir);
  }
}

/**
 * Takes a consistent copy of the open database into `<dataDir>/backups` (SQLite's online backup:
 * the app keeps writing meanwhile), then keeps the newest BACKUPS_KEPT.
 */
export async function backupHistory(db: Db, dataDir: string, now: number = Date.now()): Promise<string> {
  const dir = join(dataDir, BACKUPS_DIR_NAME);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, `history-${stamp(now)}.sqlite3`);
  const partial = `${target}.partial`;
  await db.backup(partial);
  renameSync(partial, target);
  for (const old of listBackups(dataDir).slice(BACKUPS_KEPT)) rmSync(old.path, { force: true });
  return target;
}

/** Whether the newest backup is older than the interval (or there is none). */
export function backupDue(dataDir: string, now: number = Date.now()): boolean {
  const newest = listBackups(dataDir)[0];
  if (!newest) return true;
  const t = newest.takenAt;
  const taken = Date.parse(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`);
  return now - taken >= BACKUP_INTERVAL_MS;
}
