import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { escapeRawHtml } from '../../../main/export/markdownTranscript.ts';
import { crc32 } from '../../../main/export/zipWriter.ts';
import { memoryStore } from '../store/storeTestKit.ts';
import { exporterFor, tempFolder } from './exportKit.ts';
import { ARABIC, CJK, CODE, EMOJI, HOSTILE, LONG_ANSWER, buildFixtureChat } from './fixtureChat.ts';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

async function fixture() {
  const store = memoryStore();
  const dir = tempFolder();
  cleanup.push(() => store.dispose(), dir.remove);
  const chat = await buildFixtureChat(store);
  return { store, dir, chat, exporter: exporterFor(store) };
}

describe('Markdown transcripts', () => {
  it('writes one .md: front matter, the active branch in order, images as data URIs', async () => {
    const { store, dir, chat, exporter } = await fixture();
    store.edits().setInstructions(chat.conversationId, 'Answer briefly.\nIn French.');
    const result = await exporter.export(
      { scope: { kind: 'conversation', id: chat.conversationId }, format: 'markdown', branches: 'active' },
      dir.file('t.md'),
    );
    const md = readFileSync(result.path, 'utf8');
    expect(md).toContain('instructions: "Answer briefly.\\nIn French."\n');
    expect(md.startsWith('---\ntitle: "Lizards & <colours> — 蜥蜴"\ncreated: "2023-')).toBe(true);
    expect(md).toContain('model: "chameleon-7b-q4_k_m.gguf"');
    expect(md).toContain(
      'settings: {"temperature":0.7,"topP":0.9,"topK":40,"repeatPenalty":1.1,"maxTokens":512}',
    );
    for (const text of [CODE, LONG_ANSWER, CJK, ARABIC, EMOJI]) expect(md).toContain(text);
    // Raw HTML from the model is escaped, as in the HTML export (a viewer would run it; issue 10).
    expect(md).toContain(HOSTILE.replace(/</g, '&lt;'));
    expect(md).not.toMatch(/<(script|img|iframe|a |link)/);
    expect(md).toContain('# Lizards & &lt;colours> — 蜥蜴');
    expect(md).not.toContain('first try'); // the side branch is not part of a readable export
    expect(md.match(/!\[image \d+×\d+\]\(data:image\/png;base64,[A-Za-z0-9+/=]+\)/g)).toHaveLength(2);
    expect(md.indexOf('## You')).toBeLessThan(md.indexOf('## Chameleon'));
    expect(md).toContain('## Chameleon (stopped)');
    expect(md).toContain('## Chameleon (error)');
    expect(result.progress).toEqual({ conversationsDone: 1, conversationsTotal: 1, messagesDone: 10 });
  });

  it('writes a .zip with transcript.md and the images it links to, readable by unzip', async () => {
    const { dir, chat, exporter, store } = await fixture();
    const result = await exporter.export(
      { scope: { kind: 'all' }, format: 'markdownZip', branches: 'active' },
      dir.file('t.zip'),
    );
    // unzip checks every CRC and size against the data; -t exits non-zero on any mismatch.
    const test = execFileSync('unzip', ['-t', result.path], { encoding: 'utf8' });
    expect(test).toContain('No errors detected');
    const list = execFileSync('unzip', ['-Z1', result.path], { encoding: 'utf8' }).trim().split('\n');
    expect(list).toEqual(['transcript.md', ...chat.imageHashes.map((h) => `images/${h}.png`)]);
    const md = execFileSync('unzip', ['-p', result.path, 'transcript.md'], { encoding: 'utf8' });
    for (const h of chat.imageHashes) expect(md).toContain(`](images/${h}.png)`);
    expect(md).toContain(CJK);
    const image = execFileSync('unzip', ['-p', result.path, `images/${chat.imageHashes[0]}.png`]);
    expect(image.equals(store.images.read(chat.imageHashes[0]!))).toBe(true);
  });

  it('escapes raw HTML outside code and keeps code as written', () => {
    expect(escapeRawHtml('a <script>x</script> b')).toBe('a &lt;script>x&lt;/script> b');
    expect(escapeRawHtml('1 < 2 and `<b>` and <!-- c -->')).toBe('1 < 2 and `<b>` and &lt;!-- c -->');
    expect(escapeRawHtml('```html\n<script>\n```\n<i>')).toBe('```html\n<script>\n```\n&lt;i>');
    expect(escapeRawHtml('~~~~\n<a>\n~~~\n<b>\n~~~~\n<c>')).toBe('~~~~\n<a>\n~~~\n<b>\n~~~~\n&lt;c>');
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('6789'), crc32(Buffer.from('12345')))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});
