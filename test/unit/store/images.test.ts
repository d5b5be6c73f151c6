// Migration 0002 and the content-addressed image store: files written once under
// images/<aa>/<sha256>.<ext>, the codes cache keyed by (image, weights), its index used, and a user
// message naming an unknown image refused with nothing written.
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { ChatStore, DATABASE_FILE_NAME } from '../../../main/store/ChatStore.ts';
import { packCodes, sha256Hex, unpackCodes } from '../../../main/store/ImageStore.ts';
import { migrate, schemaVersion } from '../../../main/store/migrate.ts';
import { MIGRATIONS } from '../../../main/store/migrations/index.ts';
import { tempDir } from './storeTestKit.ts';

const dirs: { remove: () => void }[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

const png = Buffer.from('89504e470d0a1a0a' + 'ab'.repeat(40), 'hex');
const meta = { mime: 'image/png', width: 640, height: 480 };
const codes = Array.from({ length: 1024 }, (_, i) => (i * 37) % 8192);

describe('migration 0002: images', () => {
  it('upgrades a version-1 database, keeping its data, and the CHECKs hold', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    db.exec(`INSERT INTO conversations (created_at, updated_at) VALUES (1, 1)`);
    expect(migrate(db, MIGRATIONS.slice(0, 2))).toEqual([2]);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT count(*) FROM conversations').pluck().get()).toBe(1);
    const cols = (t: string) => (db.prepare(`SELECT name FROM pragma_table_info('${t}')`).all() as { name: string }[]).map((c) => c.name);
    expect(cols('images')).toEqual(['sha256', 'mime', 'width', 'height', 'bytes', 'created_at']);
    expect(cols('image_codes')).toEqual(['image_sha256', 'weights_sha256', 'codes', 'created_at']);
    expect(() => db.exec(`INSERT INTO images VALUES ('short', 'image/png', 1, 1, 1, 1)`)).toThrow(/CHECK/);
    db.pragma('foreign_keys = ON');
    expect(() => db.prepare('INSERT INTO image_codes VALUES (?, ?, ?, 1)').run('a'.repeat(64), 'b'.repeat(64), Buffer.alloc(2))).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('the codes lookup uses the primary key', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    const plan = (db.prepare('EXPLAIN QUERY PLAN SELECT codes FROM image_codes WHERE image_sha256 = ? AND weights_sha256 = ?').all('a', 'b') as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan).toMatch(/SEARCH image_codes USING PRIMARY KEY \(image_sha256=\? AND weights_sha256=\?\)/);
    db.close();
  });
});

describe('ImageStore', () => {
  it('stores bytes once under images/<aa>/<sha256>.<ext> and survives a reopen', () => {
    const d = dir();
    const store = ChatStore.open(d);
    const a = store.images.put(png, meta);
    const again = store.images.put(png, meta);
    const hash = sha256Hex(png);
    expect(a).toEqual(again);
    expect(a).toMatchObject({ sha256: hash, mime: 'image/png', width: 640, height: 480, bytes: png.length });
    const file = join(d, 'images', hash.slice(0, 2), `${hash}.png`);
    expect(readFileSync(file)).toEqual(png);
    expect(readdirSync(join(d, 'images', hash.slice(0, 2)))).toEqual([`${hash}.png`]);
    store.images.putCodes(hash, 'c'.repeat(64), codes);
    store.dispose();

    const reopened = ChatStore.open(d);
    expect(reopened.images.read(hash)).toEqual(png);
    expect(Array.from(reopened.images.codes(hash, 'c'.repeat(64))!)).toEqual(codes);
    // Other weights: other codes, so no hit.
    expect(reopened.images.codes(hash, 'd'.repeat(64))).toBeUndefined();
    reopened.dispose();
    expect(existsSync(join(d, DATABASE_FILE_NAME))).toBe(true);
  });

  it('packs codes as 2 bytes each, exactly, and refuses a code outside the codebook', () => {
    const blob = packCodes(codes);
    expect(blob.length).toBe(2048);
    expect(Array.from(unpackCodes(blob))).toEqual(codes);
    expect(Array.from(unpackCodes(packCodes([0, 8191])))).toEqual([0, 8191]);
    expect(() => packCodes([8192])).toThrow(AppError);
  });

  it('a user message naming an image that is not stored is refused, nothing written', () => {
    const store = ChatStore.open(':memory:');
    const chat = store.createConversation();
    const part = { kind: 'image' as const, imageHash: 'e'.repeat(64), mime: 'image/png', width: 1, height: 1 };
    let caught: unknown;
    try {
      store.addUserMessage(chat.id, null, [{ kind: 'text', text: 'look' }, part]);
    } catch (err) {
      caught = err;
    }
    expect((caught as AppError).code).toBe('store.notFound');
    expect(store.getActivePath(chat.id).items).toEqual([]);

    const stored = store.images.put(png, meta);
    const msg = store.addUserMessage(chat.id, null, [{ kind: 'text', text: 'look' }, { ...part, imageHash: stored.sha256, width: 640, height: 480 }, { kind: 'text', text: 'and?' }]);
    expect(msg.parts.map((p) => p.kind)).toEqual(['text', 'image', 'text']);
    expect(msg.parts[1]).toMatchObject({ imageHash: stored.sha256 });
    store.dispose();
  });
});
