// Opening the one SQLite connection the store uses: pragmas, then migrations.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';

export const MEMORY_DB = ':memory:';

/** Open (creating if needed) and migrate the history database at `path` (a file path or ':memory:'). */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  try {
    // WAL: readers never block the writer and a crash can't corrupt committed pages.
    // NORMAL is durable against app crashes in WAL mode (only an OS crash can lose the last commits).
    if (path !== MEMORY_DB) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
