// The HTML export opened in real Chromium with JavaScript ON and every request traced: nothing
// from the model runs (a flag an injected script would set stays unset, no console output, no
// dialog) and the page makes no request at all (images are data: URIs). The PDF printed from it
// is read back with pdftotext and compared; both are rendered to PNG under
// test/e2e/screenshots/export/ (git-ignored) for a person to look at.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportProgress } from '../../../main/contract/transcript.ts';
import { chromiumPdfRenderer, findChromium } from '../../../main/export/pdfTranscript.ts';
import type { ChatStore } from '../../../main/store/ChatStore.ts';
import { exporterFor, tempFolder } from '../../unit/export/exportKit.ts';
import { ARABIC, CJK, EMOJI, buildFixtureChat, type FixtureChat } from '../../unit/export/fixtureChat.ts';
import { memoryStore } from '../../unit/store/storeTestKit.ts';

const SHOTS = join(import.meta.dirname, '../../e2e/screenshots/export');
const CHROMIUM = findChromium();
const hasPdfTools = existsSync('/usr/bin/pdftotext') && existsSync('/usr/bin/pdftoppm');

let store: ChatStore;
let chat: FixtureChat;
const dir = tempFolder();

beforeAll(async () => {
  store = memoryStore();
  chat = await buildFixtureChat(store);
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(() => {
  store.dispose();
  dir.remove();
});

describe.skipIf(!CHROMIUM)('HTML and PDF exports in Chromium', () => {
  it('the HTML runs no script and makes no request, with JavaScript enabled', async () => {
    const { path } = await exporterFor(store).export(
      { scope: { kind: 'conversation', id: chat.conversationId }, format: 'html', branches: 'active' },
      dir.file('t.html'),
    );
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ javaScriptEnabled: true });
      const page = await context.newPage();
      const requests: string[] = [];
      const console: string[] = [];
      let dialogs = 0;
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => console.push(m.text()));
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      const url = pathToFileURL(path).href;
      await page.goto(url, { waitUntil: 'load' });
      // The one request is the document itself; data: images are not requests.
      expect(requests).toEqual([url]);
      expect(await page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned)).toBeUndefined();
      expect(await page.locator('script, iframe, link, object, embed').count()).toBe(0);
      expect(await page.locator('[onerror], [onload], [onclick], [onmouseover]').count()).toBe(0);
      expect(dialogs).toBe(0);
      expect(console).toEqual([]); // not even a CSP refusal: nothing tried to run or load
      // The model's markup is visible as text, and both images are shown from data: URIs.
      const text = await page.locator('body').innerText();
      expect(text).toContain('<script>window.pwned = 1</script>');
      expect(text).toContain(CJK);
      expect(text).toContain(ARABIC);
      expect(text).toContain(EMOJI);
      const images = await page
        .locator('img.attached')
        .evaluateAll((els) =>
          els.map((e) => [(e as HTMLImageElement).naturalWidth, (e as HTMLImageElement).src.slice(0, 22)]),
        );
      expect(images).toEqual([
        [64, 'data:image/png;base64,'],
        [40, 'data:image/png;base64,'],
      ]);
      expect(await page.locator('pre.code .tok-k').count()).toBeGreaterThan(0);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: join(SHOTS, `html-${scheme}.png`), fullPage: false });
      }
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 1000, height: 2400 });
      await page.screenshot({ path: join(SHOTS, 'html-light-tall.png') });
    } finally {
      await browser.close();
    }
  });

  it.skipIf(!hasPdfTools)(
    'the PDF has the text (CJK, Arabic, emoji, long answer) selectable and paginates',
    async () => {
      const progress: ExportProgress[] = [];
      const { path, bytes } = await exporterFor(store, chromiumPdfRenderer(CHROMIUM)).export(
        { scope: { kind: 'conversation', id: chat.conversationId }, format: 'pdf', branches: 'active' },
        dir.file('t.pdf'),
        { onProgress: (p) => progress.push(p) },
      );
      expect(progress.at(-1)).toEqual({
        conversationsDone: 1,
        conversationsTotal: 1,
        messagesDone: 10,
        printing: true,
      });
      expect(bytes).toBeGreaterThan(1000);
      expect(readFileSync(path).subarray(0, 5).toString()).toBe('%PDF-');
      expect(existsSync(dir.file('t.pdf.html'))).toBe(false);
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', path, '-'], { encoding: 'utf8' });
      const flat = text.replace(/\s+/g, ' ');
      expect(flat).toContain('Lizards & <colours> — 蜥蜴');
      expect(flat).toContain('<script>window.pwned = 1</script>');
      expect(flat).toContain('你好，世界！');
      expect(flat).toContain('def greet(name):');
      expect(flat).toContain('Paragraph 120: the lizard changes colour');
      // Arabic is stored right-to-left in logical order; pdftotext gives it back as words.
      for (const word of ARABIC.replace(/[،.]/g, '').split(' ')) expect(flat).toContain(word);
      const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [path], { encoding: 'utf8' }))?.[1]);
      expect(pages).toBeGreaterThan(2);
      execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '3', path, join(SHOTS, 'pdf-page')]);
    },
    60_000,
  );
});
