// Every migration, in order. Append only: a released migration is never edited or removed.
import { migration0001 } from './0001-initial.ts';
import { migration0002 } from './0002-images.ts';
import { migration0003 } from './0003-chat-sampling.ts';
import { migration0004 } from './0004-chat-instructions-presets.ts';
import { migration0005 } from './0005-message-count.ts';
import { migration0006 } from './0006-message-engine.ts';
import type { Migration } from './types.ts';

export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
