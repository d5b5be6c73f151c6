import type { Database } from 'better-sqlite3';

export interface Migration {
  /** user_version after this migration; migrations are numbered 1, 2, 3 … without gaps. */
  readonly version: number;
  readonly name: string;
  /** Runs inside the migration's transaction; must not commit or open its own. */
  up(db: Database): void;
}
