// Schema migrations under PRAGMA user_version (the Signal Desktop model): each migration runs in
// its own transaction together with the version bump, so a crash mid-migration leaves the previous
// version intact; a database written by a newer app is refused rather than half-understood.
import type { Database } from 'better-sqlite3';
import { AppError } from '../contract/errors.ts';
import type { Migration } from './migrations/types.ts';

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Bring db up to the last of `migrations`; returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[]): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new AppError('internal', `Migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new AppError('store.tooNew', 'This history database was written by a newer version of Chameleon Desktop. Update the app to open it.', {
      databaseVersion: current,
      supportedVersion: latest,
    });
  }
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      m.up(db);
      // user_version lives in the database header, which this transaction writes atomically.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
