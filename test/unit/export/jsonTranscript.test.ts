import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TranscriptFileSchema, type TranscriptFile } from '../../../main/contract/transcript.ts';
import { importFile, importText } from '../../../main/export/importTranscript.ts';
import { exportReaderOf, imageSinkOf } from '../../../main/export/storeAdapters.ts';
import type { ChatStore } from '../../../main/store/ChatStore.ts';
import { memoryStore, exchange } from '../store/storeTestKit.ts';
import { exporterFor, tempFolder } from './exportKit.ts';
import { ENGINE, HOSTILE, LONG_ANSWER, MODEL, SAMPLING, buildFixtureChat } from './fixtureChat.ts';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function setup(): { store: ChatStore; dir: ReturnType<typeof tempFolder> } {
  const store = memoryStore();
  const dir = tempFolder();
  cleanup.push(() => store.dispose(), dir.remove);
  return { store, dir };
}

async function exportJson(
  store: ChatStore,
  path: string,
  scope: Parameters<ReturnType<typeof exporterFor>['export']>[0]['scope'],
  branches: 'all' | 'active' = 'all',
): Promise<string> {
  await exporterFor(store).export({ scope, format: 'json', branches }, path);
  return readFileSync(path, 'utf8');
}

describe('lossless JSON transcript', () => {
  it('keeps every branch, part order, images, sampling, seeds, model, engine, tokens and timings, and matches its schema', async () => {
    const { store, dir } = setup();
    const chat = await buildFixtureChat(store);
    const text = await exportJson(store, dir.file('t.json'), {
      kind: 'conversation',
      id: chat.conversationId,
    });
    const file: TranscriptFile = TranscriptFileSchema.parse(JSON.parse(text));
    const [c] = file.conversations;
    expect(c?.title).toBe('Lizards & <colours> — 蜥蜴');
    expect(c?.titleIsCustom).toBe(true);
    expect(c?.messages).toHaveLength(11); // 5 user + 6 answers, the regenerated first answer included
    const first = c!.messages[0]!;
    expect(first.parts.map((p) => p.kind)).toEqual(['text', 'image', 'text', 'image']);
    // Two answers under the first user message: the side branch and the one shown.
    expect(c!.messages.filter((m) => m.parentId === first.id).map((m) => m.id)).toEqual([2, 3]);
    const hostile = c!.messages.find((m) => m.parts.some((p) => p.kind === 'text' && p.text === HOSTILE));
    expect(hostile).toMatchObject({
      role: 'assistant',
      status: 'stopped',
      seed: 4,
      sampling: SAMPLING,
      model: MODEL,
      engine: ENGINE,
      tokens: { prompt: 44, completion: 104 },
      timings: { promptMs: 12.5, firstTokenMs: 30.25, totalMs: 900.5, tokensPerSecond: 21.75 },
    });
    expect(c!.messages.at(-1)).toMatchObject({ status: 'error', error: { code: 'engine.contextOverflow' } });
    expect(c!.activeLeafId).toBe(11);
    expect(c!.images.map((i) => i.sha256).sort()).toEqual([...chat.imageHashes].sort());
    for (const image of c!.images)
      expect(Buffer.from(image.base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(text).toContain(JSON.stringify(LONG_ANSWER));
  });

  it('round-trips: export → import → export gives the same JSON', async () => {
    const { store, dir } = setup();
    const chat = await buildFixtureChat(store);
    const second = store.createConversation().id;
    exchange(store, second, null, 'second chat', 'second answer');
    store.patchSampling(chat.conversationId, { temperature: 0.3, stop: ['END'], minP: 0.05 });
    // Version 3: the chat's instructions and where the sidebar keeps it travel too (4 added engines).
    store.edits().setInstructions(chat.conversationId, 'Answer in French.');
    store.edits().setPinned(chat.conversationId, true);
    store.edits().setArchived(second, true);
    const before = await exportJson(store, dir.file('a.json'), { kind: 'all' });
    expect(JSON.parse(before).version).toBe(4);
    expect(JSON.parse(before).conversations[0]).toMatchObject({ sampling: { temperature: 0.3, stop: ['END'], minP: 0.05 }, instructions: 'Answer in French.', pinned: true });
    expect(JSON.parse(before).conversations[1]).toMatchObject({ archived: true });

    const target = memoryStore();
    cleanup.push(() => target.dispose());
    const result = await importFile(dir.file('a.json'), target.transcripts(), imageSinkOf(target));
    expect(result.format).toBe('transcript');
    expect(result.conversations).toHaveLength(2);
    const after = await exportJson(target, dir.file('b.json'), { kind: 'all' });
    expect(after).toBe(before);
    // The imported chat is a working chat: its images are stored and its active branch pages.
    const imported = result.conversations[0]!;
    expect(imported).toMatchObject({ sampling: { temperature: 0.3, stop: ['END'], minP: 0.05 }, instructions: 'Answer in French.', pinned: true });
    expect(result.conversations[1]).toMatchObject({ archived: true });
    expect(target.getActivePath(imported.id).items).toHaveLength(10);
    for (const h of chat.imageHashes) expect(target.images.read(h).subarray(1, 4).toString()).toBe('PNG');

    // A version-1 file (before chats kept their own sampling) still imports.
    const v1 = JSON.parse(before);
    v1.version = 1;
    for (const c of v1.conversations) for (const key of ['sampling', 'instructions', 'pinned', 'archived']) delete c[key];
    writeFileSync(dir.file('v1.json'), JSON.stringify(v1));
    const old = await importFile(dir.file('v1.json'), target.transcripts(), imageSinkOf(target));
    expect(old.conversations.map((c) => c.sampling)).toEqual([undefined, undefined]);
  });

  it('marks a chat imported a second time instead of adding an unmarked twin (issue 15, defect 11)', async () => {
    const { store, dir } = setup();
    await buildFixtureChat(store);
    await exportJson(store, dir.file('a.json'), { kind: 'all' });
    const target = memoryStore();
    cleanup.push(() => target.dispose());
    const first = await importFile(dir.file('a.json'), target.transcripts(), imageSinkOf(target));
    const again = await importFile(dir.file('a.json'), target.transcripts(), imageSinkOf(target));
    expect(again.conversations[0]!.title).toBe(`${first.conversations[0]!.title} (imported again)`);
    expect(again.conversations[0]!.titleIsCustom).toBe(true);
  });

  it('says a file that is not JSON is not a transcript, without quoting it (issue 15, defect 10)', () => {
    const target = memoryStore();
    cleanup.push(() => target.dispose());
    let error: { code?: string; message?: string } = {};
    try {
      importText('secret notes, not json', target.transcripts(), imageSinkOf(target));
    } catch (err) {
      error = err as typeof error;
    }
    expect(error.code).toBe('import.invalid');
    expect(error.message).not.toContain('secret');
  });

  it('exports only the active branch when asked', async () => {
    const { store, dir } = setup();
    const chat = await buildFixtureChat(store);
    const file = TranscriptFileSchema.parse(
      JSON.parse(
        await exportJson(
          store,
          dir.file('t.json'),
          { kind: 'selection', ids: [chat.conversationId] },
          'active',
        ),
      ),
    );
    const messages = file.conversations[0]!.messages;
    expect(messages).toHaveLength(11 - 1);
    expect(messages.every((m, i) => m.parentId === (i === 0 ? null : i))).toBe(true);
    expect(file.conversations[0]!.branches).toBe('active');
  });

  it('refuses malformed input with a coded error and imports nothing', async () => {
    const { store, dir } = setup();
    await buildFixtureChat(store);
    const good = JSON.parse(await exportJson(store, dir.file('t.json'), { kind: 'all' })) as TranscriptFile;
    const target = memoryStore();
    cleanup.push(() => target.dispose());
    const tryImport = (value: unknown, maxBytes?: number): unknown => {
      try {
        importText(
          typeof value === 'string' ? value : JSON.stringify(value),
          target.transcripts(),
          imageSinkOf(target),
          maxBytes ? { maxBytes } : {},
        );
      } catch (err) {
        return (err as { code?: unknown }).code;
      }
      return 'imported';
    };
    expect(tryImport('{ not json')).toBe('import.invalid');
    expect(tryImport({ hello: 1 })).toBe('import.unknownFormat');
    expect(tryImport({ ...good, version: 99 })).toBe('import.unsupportedVersion');
    expect(tryImport(good, 1000)).toBe('import.tooLarge');
    const conversation = good.conversations[0]!;
    // A second, valid conversation first: the bad one after it must take it down too (one transaction).
    const withBad = (bad: Partial<typeof conversation>): unknown => ({
      ...good,
      conversations: [conversation, { ...conversation, ...bad }],
    });
    expect(
      tryImport(
        withBad({ messages: conversation.messages.map((m) => (m.id === 5 ? { ...m, parentId: 9 } : m)) }),
      ),
    ).toBe('import.invalid');
    expect(
      tryImport(
        withBad({
          images: conversation.images.map((i) => ({
            ...i,
            base64: Buffer.from('not the image').toString('base64'),
          })),
        }),
      ),
    ).toBe('import.invalid');
    expect(tryImport(withBad({ images: [] }))).toBe('import.invalid');
    expect(tryImport(withBad({ activeLeafId: 99 }))).toBe('import.invalid');
    expect(
      tryImport(withBad({ messages: [{ ...conversation.messages[0]!, role: 'wizard' as 'user' }] })),
    ).toBe('import.invalid');
    expect(exportReaderOf(target).transcripts.conversationsAfter(0, 10)).toEqual([]);
    expect(existsSync(`${dir.path}/images`)).toBe(false);
    // …and the good file still imports.
    expect(tryImport(good)).toBe('imported');
  });

  it('cancels mid-export: a coded error and no file left behind', async () => {
    const { store, dir } = setup();
    const c = store.createConversation();
    let parent: number | null = null;
    for (let i = 0; i < 600; i++) parent = exchange(store, c.id, parent, `q${i}`, `a${i}`)[1].id;
    const controller = new AbortController();
    const seen: number[] = [];
    const run = exporterFor(store).export(
      { scope: { kind: 'all' }, format: 'json', branches: 'all' },
      dir.file('x.json'),
      {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.messagesDone);
          if (p.messagesDone >= 500) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'export.cancelled' });
    expect(seen[0]).toBe(500);
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('refuses a missing conversation before writing anything', async () => {
    const { store, dir } = setup();
    await expect(
      exporterFor(store).export(
        { scope: { kind: 'conversation', id: 42 }, format: 'json', branches: 'all' },
        dir.file('x.json'),
      ),
    ).rejects.toMatchObject({ code: 'store.notFound' });
    writeFileSync(dir.file('keep'), '');
    expect(readdirSync(dir.path)).toEqual(['keep']);
  });

  it('reports an unwritable destination as export.writeFailed', async () => {
    const { store, dir } = setup();
    await buildFixtureChat(store);
    await expect(
      exporterFor(store).export(
        { scope: { kind: 'all' }, format: 'json', branches: 'all' },
        `${dir.path}/missing/x.json`,
      ),
    ).rejects.toMatchObject({ code: 'export.writeFailed' });
  });
});
