import { describe, expect, it, afterEach } from 'vitest';
import { writeFileSync } from 'node:fs';
import { importFile, importText } from '../../../main/export/importTranscript.ts';
import { fixturePng } from './fixtureChat.ts';
import { tempFolder } from './exportKit.ts';
import { imageSinkOf } from '../../../main/export/storeAdapters.ts';
import { memoryStore } from '../store/storeTestKit.ts';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

// The shape of ChatGPT's conversations.json: a root node without a message, a hidden system
// message, an edited user message (two branches), a multimodal part with an image pointer.
function node(
  id: string,
  parent: string | null,
  children: string[],
  role?: string,
  parts?: unknown[],
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    parent,
    children,
    message: role
      ? {
          id,
          author: { role },
          create_time: 1_700_000_000 + children.length,
          content: { content_type: 'text', parts },
          metadata: extra,
        }
      : null,
  };
}
const EXPORT = [
  {
    title: 'Cooking pasta 🍝',
    create_time: 1_700_000_000.5,
    update_time: 1_700_000_900.25,
    current_node: 'a2',
    mapping: {
      root: node('root', null, ['sys']),
      sys: node('sys', 'root', ['u1', 'u1b'], 'system', [''], { is_visually_hidden_from_conversation: true }),
      u1: node('u1', 'sys', ['a1'], 'user', ['How long do I boil pasta?']),
      a1: node('a1', 'u1', [], 'assistant', ['About 10 minutes.']),
      u1b: node('u1b', 'sys', ['a2'], 'user', [
        'How long for spaghetti? 日本語',
        {
          content_type: 'image_asset_pointer',
          asset_pointer: 'file-service://file-abc',
          width: 10,
          height: 10,
        },
      ]),
      a2: node('a2', 'u1b', ['t1'], 'assistant', ['8–10 minutes, مرحبا']),
      t1: node('t1', 'a2', [], 'tool', ['tool output']),
    },
  },
];

describe('ChatGPT conversations.json import', () => {
  it('maps the tree: branches kept, hidden/tool nodes skipped, the shown branch active', () => {
    const store = memoryStore();
    cleanup.push(() => store.dispose());
    const { format, conversations } = importText(
      JSON.stringify(EXPORT),
      store.transcripts(),
      imageSinkOf(store),
    );
    expect(format).toBe('chatgpt');
    const [c] = conversations;
    expect(c).toMatchObject({
      title: 'Cooking pasta 🍝',
      titleIsCustom: true,
      createdAt: 1_700_000_000_500,
      updatedAt: 1_700_000_900_250,
      messageCount: 4,
    });
    const path = store.getActivePath(c!.id).items;
    expect(path.map((m) => [m.role, m.parts.map((p) => (p.kind === 'text' ? p.text : p.kind))])).toEqual([
      [
        'user',
        ['How long for spaghetti? 日本語', '[image not included in the export: file-service://file-abc]'],
      ],
      ['assistant', ['8–10 minutes, مرحبا']],
    ]);
    expect(path[0]).toMatchObject({ parentId: null, siblingIndex: 1, siblingCount: 2 });
    expect(store.siblings(path[0]!.id)[0]!.parts).toEqual([
      { kind: 'text', text: 'How long do I boil pasta?' },
    ]);
  });

  it('imports the images found beside conversations.json in the export folder', async () => {
    const store = memoryStore();
    const dir = tempFolder();
    cleanup.push(() => store.dispose(), dir.remove);
    const png = await fixturePng({ r: 250, g: 200, b: 0 }, 10, 10);
    writeFileSync(dir.file('file-abc-photo.png'), png);
    writeFileSync(dir.file('conversations.json'), JSON.stringify(EXPORT));
    const { conversations } = await importFile(
      dir.file('conversations.json'),
      store.transcripts(),
      imageSinkOf(store),
    );
    const [user] = store.getActivePath(conversations[0]!.id).items;
    const image = user!.parts[1];
    expect(image).toMatchObject({ kind: 'image', mime: 'image/png', width: 10, height: 10 });
    expect(image?.kind === 'image' && store.images.read(image.imageHash).equals(png)).toBe(true);
  });

  it('refuses a malformed export with a coded error', () => {
    const store = memoryStore();
    cleanup.push(() => store.dispose());
    expect(() =>
      importText(JSON.stringify([{ mapping: { a: { id: 5 } } }]), store.transcripts(), imageSinkOf(store)),
    ).toThrow(expect.objectContaining({ code: 'import.invalid' }));
    expect(store.listConversations().items).toEqual([]);
  });

  it('refuses a parent cycle (no first message) instead of looping', () => {
    const store = memoryStore();
    cleanup.push(() => store.dispose());
    const cyclic = [
      {
        title: 'x',
        current_node: 'a',
        mapping: { a: node('a', 'b', ['b'], 'user', ['hi']), b: node('b', 'a', ['a'], 'assistant', ['yo']) },
      },
    ];
    expect(() => importText(JSON.stringify(cyclic), store.transcripts(), imageSinkOf(store))).toThrow(
      expect.objectContaining({ code: 'import.invalid' }),
    );
    expect(store.listConversations().items).toEqual([]);
  });
});
