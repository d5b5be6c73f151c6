// The browser mode end to end: Debian's chromium against the real `npm run serve` (real server,
// real engine host, the tiny fixture model) on a fresh data dir. One chat's whole life, in order:
// send and stream, stop, regenerate, ‹ › branches, edit-and-resend, search and jump, rename,
// delete + undo, restart the server and find everything, kill the host mid-answer.
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { openSession, screenshot, type Session } from './harness.ts';
import { answerLength, assistants, scrollToTop, send, setChatMaxTokens, users, waitSettled } from './pageActions.ts';

const MODEL = tinyChameleonGguf();

describe('browser mode against npm run serve', () => {
  let s: Session;
  let page: Page;

  beforeAll(async () => {
    s = await openSession({ model: MODEL, open: false });
    page = s.page;
  });

  afterAll(async () => {
    await s?.close();
  });

  it('opens with the model loaded and streams an answer to a first message', async () => {
    await page.goto(s.uiUrl());
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(MODEL));
    // The key left the address bar.
    expect(page.url()).not.toContain('key=');
    await screenshot(page, '01-empty');

    await page.keyboard.press('Control+n');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message');
    await setChatMaxTokens(page, 48);
    await send(page, 'Hello Chameleon, tell me about lizards');
    await expect.poll(() => users(page).count()).toBe(1);
    expect(await users(page).first().textContent()).toContain('Hello Chameleon, tell me about lizards');
    const status = await waitSettled(page);
    expect(status).toBe('complete');
    // The sidebar title derives from the first message.
    await expect.poll(() => page.locator('nav[aria-label="Chats"]').textContent()).toContain('Hello Chameleon');
    expect(await page.locator('footer[aria-label="Status"]').textContent()).toMatch(/Last answer: [\d.]+ tok\/s/);
    await assistants(page).last().getByRole('button', { name: 'Info' }).click();
    const info = assistants(page).last().locator('dl.info');
    expect(await info.textContent()).toMatch(/Tokens.*prompt.*answer.*Speed.*tok\/s.*Seed\d+/s);
    await screenshot(page, '02-first-answer');
    await assistants(page).last().getByRole('button', { name: 'Info' }).click();
  });

  it('stops a streaming answer and keeps its text', async () => {
    await setChatMaxTokens(page, 3000);
    await send(page, 'Write a very long story about a chameleon');
    const stop = page.getByRole('button', { name: 'Stop generating' });
    await stop.waitFor({ timeout: 30_000 });
    await expect.poll(() => answerLength(page), { timeout: 30_000 }).toBeGreaterThan(20);
    await screenshot(page, '03-streaming');
    await stop.click();
    expect(await waitSettled(page)).toBe('stopped');
    expect(await assistants(page).last().textContent()).toContain('Stopped');
    // The text so far stays (rendered from the stored message: finished markdown may render fewer
    // characters than the raw stream showed, so only "not empty" is a fact here).
    expect(((await assistants(page).last().locator('.body').textContent()) ?? '').trim().length).toBeGreaterThan(0);
    await setChatMaxTokens(page, 48);
  });

  it('regenerates an answer and switches between the two versions', async () => {
    const before = await assistants(page).last().locator('.body').textContent();
    await assistants(page).last().getByRole('button', { name: 'Regenerate' }).click();
    await waitSettled(page);
    const last = assistants(page).last();
    await expect.poll(() => last.locator('.count').textContent()).toBe('2/2');
    await last.getByRole('button', { name: 'Previous version' }).click();
    await expect.poll(() => assistants(page).last().locator('.count').textContent()).toBe('1/2');
    expect(await assistants(page).last().locator('.body').textContent()).toBe(before);
    await assistants(page).last().getByRole('button', { name: 'Next version' }).click();
    await expect.poll(() => assistants(page).last().locator('.count').textContent()).toBe('2/2');
  });

  it('edits a question and resends it as a new branch', async () => {
    await scrollToTop(page);
    expect(await users(page).count()).toBe(2);
    const first = users(page).first();
    await first.getByRole('button', { name: 'Edit' }).click();
    const editor = page.locator('textarea[aria-label="Edit message"]');
    await editor.fill('Hello Chameleon, tell me about geckos instead');
    await page.getByRole('button', { name: 'Save & send' }).click();
    await waitSettled(page);
    // The new branch has only the edited question and its answer.
    await expect.poll(() => users(page).count()).toBe(1);
    expect(await users(page).first().textContent()).toContain('geckos');
    expect(await users(page).first().locator('.count').textContent()).toBe('2/2');
    await screenshot(page, '04-branches');
    await users(page).first().getByRole('button', { name: 'Previous version' }).click();
    await expect.poll(() => users(page).count()).toBe(2);
    expect(await users(page).first().textContent()).toContain('lizards');
  });

  it('searches all chats with safe highlighted snippets and jumps to the message', async () => {
    await page.keyboard.press('Control+n');
    await setChatMaxTokens(page, 48);
    await send(page, 'A second chat about <b>tortoises</b> and <script>alert(1)</script>');
    await waitSettled(page);
    expect(await page.locator('article.user script').count()).toBe(0);
    expect(await users(page).last().textContent()).toContain('<script>alert(1)</script>');

    await page.keyboard.press('Control+k');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search all chats');
    await page.keyboard.type('geckos');
    const results = page.locator('ul[aria-label="Search results"] button.hit');
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await results.first().locator('mark').first().textContent()).toMatch(/gecko/i);
    await screenshot(page, '05-search');
    await results.first().click();
    await expect.poll(() => page.locator('article.focused').count()).toBe(1);
    expect(await page.locator('article.focused').textContent()).toContain('geckos');

    await page.locator('input[aria-label="Search all chats"]').fill('tortoises');
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await results.first().locator('script, b').count()).toBe(0);
    await page.locator('input[aria-label="Search all chats"]').fill('');
  });

  it('renames inline and deletes with undo', async () => {
    const nav = page.locator('nav[aria-label="Chats"]');
    await nav.locator('.conv').first().hover();
    await nav.getByRole('button', { name: /^Rename / }).first().click();
    const input = nav.locator('input[aria-label="Chat title"]');
    await input.fill('Reptiles');
    await input.press('Enter');
    await expect.poll(() => nav.textContent()).toContain('Reptiles');

    const before = await nav.locator('.conv').count();
    await nav.locator('.conv', { hasText: 'Reptiles' }).hover();
    await nav.getByRole('button', { name: 'Delete Reptiles' }).click();
    await expect.poll(() => nav.locator('.conv').count()).toBe(before - 1);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => nav.locator('.conv').count()).toBe(before);
    expect(await nav.textContent()).toContain('Reptiles');
  });

  it('finds everything again after the server restarts', async () => {
    // The titles as main has them (a fresh load: the live list refreshes a moment after changes).
    await page.goto(`${s.served.url}/`);
    await expect.poll(() => page.locator('nav[aria-label="Chats"] .title').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const titles = await page.locator('nav[aria-label="Chats"] .title').allTextContents();
    await s.stopServer();
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 10_000 }).toContain('Disconnected');
    await s.startServer();
    // The page reconnects by itself…
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).not.toContain('Disconnected');
    // …and a fresh load (the key kept for this tab) shows the same history.
    await page.goto(`${s.served.url}/`);
    await expect.poll(() => page.locator('nav[aria-label="Chats"] .title').allTextContents(), { timeout: 30_000 }).toEqual(titles);
    await page.locator('nav[aria-label="Chats"] button.open', { hasText: 'Hello Chameleon' }).click();
    await expect.poll(() => users(page).count(), { timeout: 30_000 }).toBeGreaterThan(0);
  });

  it('keeps the partial answer and explains the error when the engine host is killed mid-answer', async () => {
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(MODEL));
    await page.keyboard.press('Control+n');
    await setChatMaxTokens(page, 3000);
    await send(page, 'Another long story please');
    await page.getByRole('button', { name: 'Stop generating' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => answerLength(page), { timeout: 30_000 }).toBeGreaterThan(20);
    const shown = (await assistants(page).last().locator('.body').textContent()) ?? '';
    const hosts = s.served.children();
    expect(hosts.length).toBeGreaterThan(0);
    for (const pid of hosts) process.kill(pid, 'SIGKILL');
    const status = await waitSettled(page);
    expect(['error', 'interrupted']).toContain(status);
    const partial = (await assistants(page).last().locator('.body').textContent()) ?? '';
    // Everything shown before the kill is kept (and maybe a little more that was in flight).
    expect(partial.startsWith(shown.trimEnd()), `shown ${JSON.stringify(shown)} kept ${JSON.stringify(partial)}`).toBe(true);
    const banner = page.getByRole('alert');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.getAttribute('data-code')).toBe('engine.crashed');
    await screenshot(page, '06-host-killed');
    // After a reload the partial answer is still there: it was stored, not just shown.
    await page.reload();
    await expect.poll(async () => (await assistants(page).last().locator('.body').textContent()) ?? '', { timeout: 30_000 }).toBe(partial);
  });

  it('fits 800×600 and follows a dark OS theme', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    await page.emulateMedia({ colorScheme: 'dark' });
    const overflow = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
    expect(overflow.w).toBeLessThanOrEqual(800);
    expect(overflow.h).toBeLessThanOrEqual(600);
    const composer = await page.locator('textarea[aria-label="Message"]').boundingBox();
    expect(composer && composer.y + composer.height).toBeLessThanOrEqual(600);
    await screenshot(page, '07-dark-800x600');
    await page.getByRole('button', { name: /Settings/ }).first().click();
    await screenshot(page, '08-settings-dark');
    await page.keyboard.press('Escape');
    expect(s.browser.problems).toEqual([]);
  });
});
