// Transcript and ChatGPT imports on hostile files: edits of a valid file of each kind (any node
// replaced or dropped: cycles, missing parents, odd numbers) and raw text. Each imports or ends
// in an import.* code, into a real store whose integrity holds afterwards.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { TRANSCRIPT_FORMAT } from '../../main/contract/transcript.ts';
import { importText } from '../../main/export/importTranscript.ts';
import { imageSinkOf } from '../../main/export/storeAdapters.ts';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ChatStore, DATABASE_FILE_NAME } from '../../main/store/ChatStore.ts';
import { steppingClock, tempDir } from '../unit/store/storeTestKit.ts';
import { fuzz, jsonMutated, mutated } from './fuzzKit.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==', 'base64');
const SHA = createHash('sha256').update(PNG).digest('hex');

const TRANSCRIPT = {
  format: TRANSCRIPT_FORMAT,
  version: 1,
  exportedAt: 1_800_000_000_000,
  app: { name: 'Chameleon Desktop', version: 'test' },
  conversations: [
    {
      title: 'A pixel',
      titleIsCustom: false,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_001_000,
      activeLeafId: 3,
      branches: 'all',
      messages: [
        { id: 1, parentId: null, role: 'user', status: 'complete', createdAt: 1_700_000_000_000, parts: [{ kind: 'text', text: 'what is it?' }, { kind: 'image', imageHash: SHA, mime: 'image/png', width: 1, height: 1 }] },
        { id: 2, parentId: 1, role: 'assistant', status: 'complete', createdAt: 1_700_000_000_500, parts: [{ kind: 'text', text: 'a pixel' }] },
        { id: 3, parentId: 1, role: 'assistant', status: 'interrupted', createdAt: 1_700_000_001_000, parts: [{ kind: 'text', text: 'one pix' }] },
      ],
      images: [{ sha256: SHA, mime: 'image/png', width: 1, height: 1, base64: PNG.toString('base64') }],
    },
  ],
};

const node = (id: string, parent: string | null, children: string[], role?: string, parts?: unknown[]) => ({
  id,
  parent,
  children,
  message: role ? { id, author: { role }, create_time: 1_700_000_000, content: { content_type: 'text', parts }, metadata: {} } : null,
});
const CHATGPT = [
  {
    title: 'Pasta',
    create_time: 1_700_000_000.5,
    update_time: 1_700_000_900.25,
    current_node: 'a2',
    mapping: {
      root: node('root', null, ['u1', 'u1b']),
      u1: node('u1', 'root', ['a1'], 'user', ['How long?']),
      a1: node('a1', 'u1', [], 'assistant', ['10 minutes.']),
      u1b: node('u1b', 'root', ['a2'], 'user', ['Spaghetti?', { content_type: 'image_asset_pointer', asset_pointer: 'file-service://file-abc', width: 10, height: 10 }]),
      a2: node('a2', 'u1b', [], 'assistant', ['8–10 minutes']),
    },
  },
];

const dir = tempDir();
const store = ChatStore.open(dir.path, { now: steppingClock() });
afterAll(() => {
  store.dispose();
  dir.remove();
});

describe('fuzz: transcript and ChatGPT import', () => {
  it('sanity: both bases import', () => {
    expect(importText(JSON.stringify(TRANSCRIPT), store.transcripts(), imageSinkOf(store)).format).toBe('transcript');
    expect(importText(JSON.stringify(CHATGPT), store.transcripts(), imageSinkOf(store)).format).toBe('chatgpt');
  });

  it('imports or refuses with an import code, and the database stays whole', async () => {
    const text = fc.oneof(
      jsonMutated(TRANSCRIPT).map((v) => JSON.stringify(v) ?? ''),
      jsonMutated(CHATGPT).map((v) => JSON.stringify(v) ?? ''),
      mutated(Buffer.from(JSON.stringify(TRANSCRIPT))).map((b) => Buffer.from(b).toString('utf8')),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
      fc.string({ maxLength: 40 }),
    );
    await fuzz('import', text, 600, ['import.invalid', 'import.unsupportedVersion', 'import.unknownFormat', 'import.tooLarge'], (t) => void importText(t, store.transcripts(), imageSinkOf(store)));
    store.dispose();
    const db = new Database(join(dir.path, DATABASE_FILE_NAME));
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });
});
