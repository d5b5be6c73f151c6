// A damaged history never means a lost history: the error names the file and what to do, recovery
// keeps the damaged file and restores the newest healthy backup, and backups rotate.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatStore, DATABASE_FILE_NAME } from '../../../main/store/ChatStore.ts';
import { BACKUPS_KEPT, listBackups } from '../../../main/store/historyFile.ts';
import { useTempDirs } from '../../fixtures/testKit.ts';
import { exchange, steppingClock } from './storeTestKit.ts';

const freshDir = useTempDirs('chm-history', 'each');
const GARBAGE = Buffer.from('this is not a database, it is the start of something else entirely'.repeat(100));

describe('the history file', () => {
  it('names a damaged file, says what to do, and opens nothing', () => {
    const dir = freshDir();
    writeFileSync(join(dir, DATABASE_FILE_NAME), GARBAGE);
    let error: unknown;
    try {
      ChatStore.open(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'store.corrupt', details: { path: join(dir, DATABASE_FILE_NAME), backups: 0 } });
    expect((error as Error).message).toContain(join(dir, DATABASE_FILE_NAME));
    expect((error as Error).message).toContain('--recover-history');
    expect(readFileSync(join(dir, DATABASE_FILE_NAME)).equals(GARBAGE)).toBe(true);
  });

  it('recovers from the newest healthy backup, keeping the damaged file beside it', async () => {
    const dir = freshDir();
    const now = steppingClock();
    const store = ChatStore.open(dir, { now });
    const chat = store.createConversation();
    exchange(store, chat.id, null, 'Keep me', 'Kept.');
    expect(store.backupDue()).toBe(true);
    const backup = await store.backup();
    expect(backup && existsSync(backup)).toBe(true);
    expect(store.backupDue()).toBe(false);
    exchange(store, store.createConversation().id, null, 'After the backup', 'Lost with the damage.');
    store.dispose();

    writeFileSync(join(dir, DATABASE_FILE_NAME), GARBAGE);
    const recovered = ChatStore.open(dir, { now, recover: true });
    try {
      expect(recovered.recovery?.restoredFrom).toBe(backup);
      expect(readFileSync(recovered.recovery!.movedTo).equals(GARBAGE)).toBe(true);
      const chats = recovered.listConversations().items;
      expect(chats.map((c) => c.title)).toEqual(['Keep me']);
    } finally {
      recovered.dispose();
    }
  });

  it('starts empty when there is no backup, and keeps only the newest backups', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, DATABASE_FILE_NAME), GARBAGE);
    const store = ChatStore.open(dir, { recover: true, now: steppingClock() });
    try {
      expect(store.recovery?.restoredFrom).toBeUndefined();
      expect(store.listConversations().items).toEqual([]);
      // One backup a second (the stepping clock), more than are kept.
      for (let i = 0; i < BACKUPS_KEPT + 2; i++) await store.backup();
      expect(listBackups(dir)).toHaveLength(BACKUPS_KEPT);
    } finally {
      store.dispose();
    }
  });
});
