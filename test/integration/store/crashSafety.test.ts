// kill -9 a process that is streaming an answer into the store, then reopen: the database is
// intact and the answer is 'interrupted' with the text it had flushed: a delta-aligned prefix of
// what was streamed, longer than the first delta (so the interval flush, not just the first
// write, reached the disk).
import Database from 'better-sqlite3';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatStore, DATABASE_FILE_NAME } from '../../../main/store/ChatStore.ts';
import { tempDir } from '../../unit/store/storeTestKit.ts';
import { delta, streamedText } from './crashWriter.ts';

const writerScript = fileURLToPath(new URL('./crashWriter.ts', import.meta.url));
const dirs: { remove: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function diskText(dataDir: string, messageId: number): string {
  const db = new Database(join(dataDir, DATABASE_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare(`SELECT text FROM message_parts WHERE message_id = ? AND position = 0`).get(messageId) as { text: string } | undefined;
    return row?.text ?? '';
  } finally {
    db.close();
  }
}

/** How many whole deltas `text` is, or -1 if it is not a delta-aligned prefix of the stream. */
function deltasIn(text: string): number {
  let n = 0;
  let at = 0;
  while (at < text.length) {
    const d = delta(n);
    if (!text.startsWith(d, at)) return -1;
    at += d.length;
    n++;
  }
  return n;
}

async function killMidStream(dataDir: string, minFlushedDeltas: number): Promise<number> {
  const child = fork(writerScript, [dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [message] = (await once(child, 'message')) as [{ type: string; messageId: number }];
    expect(message.type).toBe('started');
    // Wait until the interval flush has put several deltas on disk, then kill without warning.
    while (deltasIn(diskText(dataDir, message.messageId)) < minFlushedDeltas) await sleep(5);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    return message.messageId;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('crash safety', () => {
  it.each([1, 2, 3])('a writer killed with SIGKILL mid-stream leaves an intact database and the partial answer (run %i)', async (run) => {
    const dir = tempDir();
    dirs.push(dir);
    const minFlushed = 40 * run;
    const messageId = await killMidStream(dir.path, minFlushed);

    const raw = new Database(join(dir.path, DATABASE_FILE_NAME));
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.exec(`INSERT INTO message_parts_fts (message_parts_fts, rank) VALUES ('integrity-check', 1)`);
    raw.close();

    const store = ChatStore.open(dir.path);
    try {
      expect(store.recoveredInterrupted).toBe(1);
      const message = store.getMessage(messageId);
      expect(message.status).toBe('interrupted');
      const text = message.parts[0]?.kind === 'text' ? message.parts[0].text : '';
      const n = deltasIn(text);
      expect(n).toBeGreaterThanOrEqual(minFlushed);
      expect(text).toBe(streamedText(n));
      // The partial answer is searchable and on the active branch.
      expect(store.getActivePath(message.conversationId).items.map((m) => m.id)).toContain(messageId);
      expect(store.search('naïve').map((h) => h.messageId)).toContain(messageId);
    } finally {
      store.dispose();
    }
  });
});
