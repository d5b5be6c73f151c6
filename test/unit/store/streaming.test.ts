// The streaming writer, observed through a second connection to the same file: what another
// process (or the next launch after a crash) would actually find on disk.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatStore, DATABASE_FILE_NAME } from '../../../main/store/ChatStore.ts';
import { steppingClock, tempDir, textOf } from './storeTestKit.ts';

let dir: ReturnType<typeof tempDir>;
let store: ChatStore;
let reader: Database.Database;

beforeEach(() => {
  vi.useFakeTimers();
  dir = tempDir();
  store = ChatStore.open(dir.path, { now: steppingClock(), flushPolicy: { intervalMs: 250, maxPendingChars: 100 } });
  reader = new Database(join(dir.path, DATABASE_FILE_NAME), { readonly: true });
});
afterEach(() => {
  reader.close();
  store.dispose();
  dir.remove();
  vi.useRealTimers();
});

function onDisk(messageId: number): { status: string; text: string } {
  return reader
    .prepare(`SELECT m.status, p.text FROM messages m JOIN message_parts p ON p.message_id = m.id AND p.position = 0 WHERE m.id = ?`)
    .get(messageId) as { status: string; text: string };
}

function startAnswer() {
  const c = store.createConversation().id;
  const q = store.addUserMessage(c, null, [{ kind: 'text', text: 'Tell me a story' }]);
  return { c, q, writer: store.beginAssistantMessage(c, q.id, { seed: 7 }) };
}

describe('StreamingMessageWriter', () => {
  it('creates the row at once, writes the first delta immediately and the rest on the interval', () => {
    const { c, writer } = startAnswer();
    expect(onDisk(writer.messageId)).toEqual({ status: 'streaming', text: '' });
    expect(store.getConversation(c).activeLeafId).toBe(writer.messageId);
    writer.append('Once');
    expect(onDisk(writer.messageId).text).toBe('Once');
    writer.append(' upon');
    writer.append(' a time');
    expect(onDisk(writer.messageId).text).toBe('Once');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(249);
    expect(onDisk(writer.messageId).text).toBe('Once');
    vi.advanceTimersByTime(1);
    expect(onDisk(writer.messageId).text).toBe('Once upon a time');
    expect(vi.getTimerCount()).toBe(0);
    // Enough pending text is written without waiting for the timer.
    writer.append(' '.padEnd(120, 'x'));
    expect(onDisk(writer.messageId).text).toHaveLength(16 + 120);
    expect(writer.text).toHaveLength(16 + 120);
  });

  it('finish writes everything with the outcome; the writer then refuses more text', () => {
    const { writer } = startAnswer();
    writer.append('The end');
    writer.append('.');
    const done = writer.finish('complete', { tokens: { prompt: 10, completion: 3 }, timings: { promptMs: 5, firstTokenMs: 6, totalMs: 9, tokensPerSecond: 333 } })!;
    expect(onDisk(writer.messageId)).toEqual({ status: 'complete', text: 'The end.' });
    expect(done).toMatchObject({ status: 'complete', seed: 7, tokens: { prompt: 10, completion: 3 } });
    expect(vi.getTimerCount()).toBe(0);
    expect(() => writer.append('more')).toThrow(expect.objectContaining({ code: 'store.conflict' }));
    expect(() => writer.finish('stopped')).toThrow(expect.objectContaining({ code: 'store.conflict' }));
  });

  it('fail keeps the partial text next to the coded error', () => {
    const { writer } = startAnswer();
    writer.append('Half a sen');
    writer.append('tence');
    const failed = writer.fail({ code: 'engine.crashed', message: 'The inference host exited', details: { exitCode: 134 } })!;
    expect(failed).toMatchObject({ status: 'error', error: { code: 'engine.crashed', message: 'The inference host exited', details: { exitCode: 134 } } });
    expect(textOf(failed)).toBe('Half a sentence');
  });

  it('dispose marks an answer still streaming as interrupted, unflushed text included', () => {
    const { writer } = startAnswer();
    writer.append('Kept');
    writer.append(' too');
    store.dispose();
    expect(onDisk(writer.messageId)).toEqual({ status: 'interrupted', text: 'Kept too' });
  });

  it('a row left streaming by a dead process becomes interrupted on the next open', () => {
    const { writer } = startAnswer();
    writer.append('So far');
    // Another connection opening the same file is what a relaunch after kill -9 looks like.
    const next = ChatStore.open(dir.path);
    expect(next.recoveredInterrupted).toBe(1);
    expect(next.getMessage(writer.messageId)).toMatchObject({ status: 'interrupted', parts: [{ kind: 'text', text: 'So far' }] });
    next.dispose();
  });

  it('finishing an answer whose conversation was purged meanwhile is not an error', () => {
    const { c, writer } = startAnswer();
    writer.append('gone');
    store.purgeConversation(c);
    vi.advanceTimersByTime(1000);
    expect(writer.finish('complete')).toBeUndefined();
  });
});
