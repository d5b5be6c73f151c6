// A 200 KB single-line message (issue 10.9): imported into `npm run serve`, it opens in the UI with
// its whole text shown (a line that long is shown unformatted, see main/contract/longLines.ts),
// and prints to PDF through the export route with its text in the PDF.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSCRIPT_FORMAT } from '../../main/contract/transcript.ts';
import { ensureRendererBuilt, launchBrowser, screenshot, startServe, tempDataDir, type Browser, type Served } from './harness.ts';

// Every `_`, `*`, `[` and backtick could open markdown: the worst case for a formatter.
const LINE = 'data_row *x* [y](z) `w` 12345 '.repeat(7000).slice(0, 200_000);
const T0 = 1_700_000_000_000;

const conversation = (title: string, question: string, answer: string) => ({
  title,
  titleIsCustom: true,
  createdAt: T0,
  updatedAt: T0 + 2,
  activeLeafId: 2,
  branches: 'all',
  images: [],
  messages: [
    { id: 1, parentId: null, role: 'user', status: 'complete', createdAt: T0, parts: [{ kind: 'text', text: question }] },
    { id: 2, parentId: 1, role: 'assistant', status: 'complete', createdAt: T0 + 1, parts: [{ kind: 'text', text: answer }] },
  ],
});

describe('a 200 KB single-line message', () => {
  let served: Served;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    dataDir = tempDataDir();
    served = await startServe({ dataDir });
    const transcript = {
      format: TRANSCRIPT_FORMAT,
      version: 1,
      exportedAt: T0,
      app: { name: 'Chameleon Desktop', version: 'test' },
      conversations: [conversation('Long question', LINE, 'Noted.'), conversation('Long answer', 'Echo it', `Echo:\n\n${LINE}`)],
    };
    const res = await fetch(`${served.url}/api/transcripts/import`, { method: 'POST', headers: { authorization: `Bearer ${served.key}`, 'content-type': 'application/json' }, body: JSON.stringify(transcript) });
    expect(res.status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens in the UI with its whole text, as a question and as an answer', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/#key=${served.key}`);
    await page.getByText('Long question').first().click();
    const question = page.locator('article.msg.user .plain');
    await question.waitFor({ timeout: 60_000 });
    expect(await question.textContent()).toBe(LINE);
    await screenshot(page, 'long-line-question');
    await page.getByText('Long answer').first().click();
    const answer = page.locator('article.msg.assistant .md');
    await answer.waitFor({ timeout: 60_000 });
    expect(await answer.locator('p').allTextContents()).toEqual(['Echo:', LINE]);
    await screenshot(page, 'long-line-answer');
    expect(browser.problems).toEqual([]);
  });

  it.skipIf(!existsSync('/usr/bin/pdftotext'))('prints to PDF with its text', async () => {
    const res = await fetch(`${served.url}/api/transcripts/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${served.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: { kind: 'all' }, format: 'pdf', branches: 'active' }),
    });
    expect(res.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'chameleon-long-pdf-'));
    try {
      const pdf = join(dir, 'long.pdf');
      writeFileSync(pdf, Buffer.from(await res.arrayBuffer()));
      // Pages end in a footer line (page n/N): drop it from each page, then compare without the
      // printer's line breaks.
      const pages = execFileSync('pdftotext', [pdf, '-'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }).split('\f');
      const text = pages
        .map((page) => page.trimEnd().split('\n').slice(0, -1).join(''))
        .join('')
        .replace(/\s+/g, '');
      // Both chats, whole: every character of the line twice.
      const squeezed = LINE.replace(/\s+/g, '');
      expect(text.split(squeezed).length - 1).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
