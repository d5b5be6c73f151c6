// Export and import from the UI in the browser mode: Debian's chromium against the real
// `npm run serve` (tiny fixture model). A chat is written through the composer, exported from the
// dialog (Ctrl/Cmd+Shift+E) as Markdown and as the lossless JSON — each a real browser download
// from POST /api/transcripts/export, its content checked — and the JSON imported back.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { openSession, screenshot, type Session } from './harness.ts';
import { setChatMaxTokens } from './pageActions.ts';

const MODEL = tinyChameleonGguf();
const QUESTION = 'Export me: 変色龍 · حرباء · 🦎 <b>not bold</b>';

describe('export and import from the UI in the browser mode', () => {
  let s: Session;
  let page: Page;
  let answer = '';

  beforeAll(async () => {
    s = await openSession({ model: MODEL, open: false });
    page = s.page;
  });

  afterAll(async () => {
    await s?.close();
  });

  async function exportAs(formatLabel: RegExp, fileName: RegExp, allBranches = false): Promise<string> {
    await page.keyboard.press('Control+Shift+E');
    const dialog = page.getByRole('dialog', { name: 'Export & import' });
    await dialog.waitFor();
    await dialog.getByLabel('This chat').check();
    await dialog.getByLabel(formatLabel).check();
    if (allBranches) await dialog.getByLabel(/Include every branch/).check();
    const download = page.waitForEvent('download', { timeout: 60_000 });
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(fileName);
    const path = await file.path();
    await expect.poll(() => dialog.locator('.ok').textContent(), { timeout: 30_000 }).toMatch(/^Downloaded /);
    const text = readFileSync(path, 'utf8');
    return text;
  }

  it('writes a chat to export', async () => {
    await page.goto(s.uiUrl());
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(MODEL));
    await page.keyboard.press('Control+n');
    await setChatMaxTokens(page, 16);
    const box = page.locator('textarea[aria-label="Message"]');
    await box.fill(QUESTION);
    await box.press('Enter');
    const row = page.locator('article.assistant').last();
    await row.waitFor({ timeout: 60_000 });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('complete');
    answer = (await row.locator('.body').innerText()).trim();
    expect(answer.length).toBeGreaterThan(0);
  });

  it('downloads the chat as Markdown with the question and the answer', async () => {
    const md = await exportAs(/Markdown \(\.md\)/, /^Export me- 変色龍 .* \d{4}-\d{2}-\d{2}\.md$/);
    expect(md.startsWith('---\n')).toBe(true);
    expect(md).toContain('変色龍 · حرباء · 🦎');
    // The answer's words are in the file (Markdown may escape punctuation, so compare a plain run).
    const word = /[A-Za-z]{4,}/.exec(answer)?.[0];
    if (word) expect(md).toContain(word);
    await screenshot(page, 'export-01-dialog-done');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog', { name: 'Export & import' }).count()).toBe(0);
  });

  it('downloads the lossless JSON and imports it back as a new chat', async () => {
    const json = await exportAs(/JSON transcript/, /\.json$/, true);
    const file = JSON.parse(json) as { format: string; version: number; conversations: Array<{ title: string; messages: unknown[] }> };
    expect(file.format).toBe('chameleon-desktop/transcript');
    expect(file.conversations).toHaveLength(1);
    expect(JSON.stringify(file.conversations[0])).toContain('Export me:');
    expect(json).toContain('変色龍');

    const before = await page.locator('nav[aria-label="Chats"] .conv').count();
    const dialog = page.getByRole('dialog', { name: 'Export & import' });
    await dialog.getByLabel('Transcript file to import').setInputFiles({ name: 'transcript.json', mimeType: 'application/json', buffer: Buffer.from(json) });
    await expect.poll(() => dialog.locator('.ok').textContent(), { timeout: 30_000 }).toBe('Imported 1 chat from a Chameleon transcript.');
    await expect.poll(() => page.locator('nav[aria-label="Chats"] .conv').count()).toBe(before + 1);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    // The imported chat is open and has the same question and answer.
    await expect.poll(() => page.locator('article.user').first().textContent()).toContain('変色龍 · حرباء · 🦎 <b>not bold</b>');
    expect((await page.locator('article.assistant').last().locator('.body').innerText()).trim()).toBe(answer);
  });

  it('shows a coded, explained error for a file that is not a transcript', async () => {
    await page.keyboard.press('Control+Shift+E');
    const dialog = page.getByRole('dialog', { name: 'Export & import' });
    await dialog.getByLabel('Transcript file to import').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": "world"}') });
    const err = dialog.locator('.err');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.getAttribute('data-code')).toMatch(/^import\./);
    expect(await err.textContent()).toContain('Nothing was imported');
    await screenshot(page, 'export-02-import-error');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(s.browser.problems).toEqual([]);
  });
});
