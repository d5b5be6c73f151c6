import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { AppError } from '../../../main/contract/errors.ts';
import { DATABASE_FILE_NAME, ChatStore } from '../../../main/store/ChatStore.ts';
import { openDatabase } from '../../../main/store/database.ts';
import { migrate, schemaVersion } from '../../../main/store/migrate.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../main/store/migrations/index.ts';
import { tempDir } from './storeTestKit.ts';

const dirs: { remove: () => void }[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function schemaObjects(db: Database.Database): string[] {
  return (db.prepare(`SELECT type || ' ' || name AS o FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY o`).all() as { o: string }[]).map((r) => r.o);
}

describe('migrations', () => {
  it('are numbered 1..N without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('bring a fresh file database to the latest version with WAL, foreign keys and NORMAL sync', () => {
    const db = openDatabase(join(dir(), 'h.sqlite3'));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('0001 creates the conversation, message-tree, parts and FTS schema', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    expect(schemaVersion(db)).toBe(1);
    const objects = schemaObjects(db);
    for (const o of [
      'table conversations',
      'table messages',
      'table message_parts',
      'table message_parts_fts',
      'index conversations_live_by_updated',
      'index messages_by_parent',
      'index messages_by_conversation',
      'index messages_streaming',
      'trigger message_parts_fts_insert',
      'trigger message_parts_fts_delete',
      'trigger message_parts_fts_update',
    ]) expect(objects).toContain(o);
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('messages')`).all() as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['parent_id', 'status', 'sampling_json', 'seed', 'model_file_name', 'prompt_tokens', 'tokens_per_second', 'error_json']));
    // The CHECKs hold: an unknown status or a text part without text is refused.
    db.exec(`INSERT INTO conversations (created_at, updated_at) VALUES (1, 1)`);
    expect(() => db.exec(`INSERT INTO messages (conversation_id, role, status, created_at) VALUES (1, 'user', 'bogus', 1)`)).toThrow(/CHECK/);
    db.exec(`INSERT INTO messages (conversation_id, role, status, created_at) VALUES (1, 'user', 'complete', 1)`);
    expect(() => db.exec(`INSERT INTO message_parts (message_id, position, kind) VALUES (1, 0, 'text')`)).toThrow(/CHECK/);
    db.close();
  });

  it('re-opening an up-to-date database applies nothing and keeps the data', () => {
    const d = dir();
    const first = ChatStore.open(d);
    const id = first.createConversation().id;
    first.renameConversation(id, 'kept');
    first.dispose();
    const db = openDatabase(join(d, DATABASE_FILE_NAME));
    expect(migrate(db, MIGRATIONS)).toEqual([]);
    db.close();
    const again = ChatStore.open(d);
    expect(again.getConversation(id).title).toBe('kept');
    again.dispose();
  });

  it('refuses a database written by a newer app, and leaves it untouched', () => {
    const path = join(dir(), DATABASE_FILE_NAME);
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.close();
    let caught: unknown;
    try {
      openDatabase(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('store.tooNew');
    expect((caught as AppError).details).toEqual({ databaseVersion: LATEST_SCHEMA_VERSION + 1, supportedVersion: LATEST_SCHEMA_VERSION });
    const check = new Database(path);
    expect(schemaVersion(check)).toBe(LATEST_SCHEMA_VERSION + 1);
    expect(schemaObjects(check)).toEqual([]);
    check.close();
  });

  it('a migration that fails rolls back entirely, version included', () => {
    const db = new Database(':memory:');
    const failing = {
      version: 2,
      name: 'fails-halfway',
      up(d: Database.Database) {
        d.exec(`CREATE TABLE half_done (x)`);
        d.exec(`THIS IS NOT SQL`);
      },
    };
    expect(() => migrate(db, [...MIGRATIONS.slice(0, 1), failing])).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(schemaObjects(db)).not.toContain('table half_done');
    db.close();
  });
});

describe('migration 0003: chat sampling', () => {
  it('upgrades a version-2 database, keeping its chats, with no sampling set and only JSON accepted', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 2));
    db.exec(`INSERT INTO conversations (title, created_at, updated_at) VALUES ('kept', 1, 1)`);
    expect(migrate(db, MIGRATIONS.slice(0, 3))).toEqual([3]);
    expect(db.prepare(`SELECT title, sampling_json FROM conversations`).get()).toEqual({ title: 'kept', sampling_json: null });
    expect(() => db.exec(`UPDATE conversations SET sampling_json = 'not json'`)).toThrow(/CHECK/);
    db.exec(`UPDATE conversations SET sampling_json = '{"temperature":0.2}'`);
  });
});

describe('migration 0004: instructions, presets, pin and archive', () => {
  it('upgrades a version-3 database, keeping its chats and sampling, with no instructions, preset, pin or archive', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 3));
    db.exec(`INSERT INTO conversations (title, created_at, updated_at, sampling_json) VALUES ('kept', 1, 1, '{"topK":5}')`);
    expect(migrate(db, MIGRATIONS.slice(0, 4))).toEqual([4]);
    expect(db.prepare(`SELECT title, sampling_json, instructions, preset_id, pinned_at, archived_at FROM conversations`).get()).toEqual({
      title: 'kept',
      sampling_json: '{"topK":5}',
      instructions: null,
      preset_id: null,
      pinned_at: null,
      archived_at: null,
    });
    expect(schemaObjects(db)).toEqual(expect.arrayContaining(['table presets', 'index conversations_pinned', 'index conversations_archived']));
    db.pragma('foreign_keys = ON');
    db.exec(`INSERT INTO presets (name, created_at, updated_at) VALUES ('Brief', 1, 1)`);
    expect(() => db.exec(`INSERT INTO presets (name, created_at, updated_at) VALUES ('Brief', 2, 2)`)).toThrow(/UNIQUE/);
    expect(() => db.exec(`INSERT INTO presets (name, sampling_json, created_at, updated_at) VALUES ('x', 'nope', 1, 1)`)).toThrow(/CHECK/);
    // Deleting a preset leaves the chat set from it, pointing nowhere.
    db.exec(`UPDATE conversations SET preset_id = 1`);
    db.exec(`DELETE FROM presets WHERE id = 1`);
    expect(db.prepare(`SELECT preset_id FROM conversations`).get()).toEqual({ preset_id: null });
  });
});

describe('migration 0005: message count', () => {
  it('counts the messages of an upgraded version-4 database and keeps counting every write', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 4));
    db.exec(`INSERT INTO conversations (title, created_at, updated_at) VALUES ('a', 1, 1), ('b', 1, 1), ('empty', 1, 1)`);
    const add = db.prepare(`INSERT INTO messages (conversation_id, role, status, created_at) VALUES (?, 'user', 'complete', 1)`);
    for (const c of [1, 1, 1, 2]) add.run(c);
    expect(migrate(db, MIGRATIONS.slice(0, 5))).toEqual([5]);
    const counts = (): number[] => (db.prepare(`SELECT message_count AS n FROM conversations ORDER BY id`).all() as { n: number }[]).map((r) => r.n);
    expect(counts()).toEqual([3, 1, 0]);
    add.run(3);
    add.run(2);
    expect(counts()).toEqual([3, 2, 1]);
    db.exec(`DELETE FROM messages WHERE id = 1`);
    db.exec(`UPDATE messages SET conversation_id = 3 WHERE id = 2`);
    expect(counts()).toEqual([1, 2, 2]);
    db.exec(`DELETE FROM conversations WHERE id = 2`); // cascades to its messages
    expect(counts()).toEqual([1, 2]);
    db.close();
  });
});

describe('migration 0006: the engine of each message', () => {
  it('upgrades a database with messages, leaving their engine unset and accepting only JSON', () => {
    const db = new Database(':memory:');
    const at = MIGRATIONS.findIndex((m) => m.name === 'message-engine');
    migrate(db, MIGRATIONS.slice(0, at));
    db.exec(`INSERT INTO conversations (title, created_at, updated_at) VALUES ('kept', 1, 1)`);
    db.exec(`INSERT INTO messages (conversation_id, role, status, created_at) VALUES (1, 'assistant', 'complete', 1)`);
    expect(migrate(db, MIGRATIONS.slice(0, at + 1))).toEqual([at + 1]);
    expect(db.prepare(`SELECT status, engine_json FROM messages`).get()).toEqual({ status: 'complete', engine_json: null });
    expect(() => db.exec(`UPDATE messages SET engine_json = 'not json'`)).toThrow(/CHECK/);
  });

  it('stores and reads back which engine answered', () => {
    const store = ChatStore.open(dir());
    try {
      const chat = store.createConversation();
      const user = store.addUserMessage(chat.id, null, [{ kind: 'text', text: 'hi' }]);
      const engine = { kind: 'llamaCppServer' as const, name: 'Cluster', model: 'chameleon-30b-q4.gguf' };
      const writer = store.beginAssistantMessage(chat.id, user.id, { engine });
      writer.append('hello');
      writer.finish('complete', { tokens: { prompt: 3, completion: 1 }, timings: { promptMs: 1, firstTokenMs: 1, totalMs: 2, tokensPerSecond: 1 }, seed: 1 });
      expect(store.getMessage(writer.messageId).engine).toEqual(engine);
      expect(store.getMessage(user.id).engine).toBeUndefined();
    } finally {
      store.dispose();
    }
  });
});
