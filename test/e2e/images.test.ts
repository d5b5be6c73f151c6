// Images in the chat, end to end in the browser mode: Debian's chromium against the real
// `npm run serve` (real server, engine host with the tiny fixture model, the narrow VQ-GAN fixture
// as the tokenizer). Choose the weights in Settings, paste one image and drop another around the
// text, send, watch the answer stream, restart the server, find both images and the answer in the
// history, and attach the same image again: a codes-cache hit (no second encode).
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { openSession, screenshot, type Session } from './harness.ts';
import { setChatMaxTokens } from './pageActions.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MODEL = tinyChameleonGguf();
const VQGAN = resolve(ROOT, '..', 'shared', 'fixtures', 'vqgan');
const WEIGHTS = join(VQGAN, 'narrow', 'weights.safetensors');
const GRADIENT = join(VQGAN, 'inputs', 'gradient.png');
const PHOTO = join(VQGAN, 'inputs', 'photo.jpg');
const ALPHA = join(VQGAN, 'inputs', 'alpha.png');


const composer = (page: Page) => page.getByTestId('composer');
const chips = (page: Page) => page.getByTestId('image-chip');
const message = (page: Page) => page.locator('textarea[aria-label="Message"]');

/** A real paste event carrying the file, at the textarea's caret (what Ctrl+V with an image does). */
async function pasteImage(page: Page, file: string, mime: string): Promise<void> {
  const b64 = readFileSync(file).toString('base64');
  await message(page).evaluate(
    (el, { b64, name, mime }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: mime }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    },
    { b64, name: basename(file), mime },
  );
}

/** dragover + drop of a file onto the composer, as a file dragged from the desktop. */
async function dropImage(page: Page, file: string, mime: string): Promise<void> {
  const b64 = readFileSync(file).toString('base64');
  await composer(page).evaluate(
    (el, { b64, name, mime }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: mime }));
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { b64, name: basename(file), mime },
  );
}

describe('images in the browser mode against npm run serve', () => {
  let s: Session;
  let page: Page;

  beforeAll(async () => {
    s = await openSession({ model: MODEL, open: false });
    page = s.page;
  });

  afterAll(async () => {
    await s?.close();
  });

  it('without VQ-GAN weights attaching is off with the reason, text chat is not', async () => {
    await page.goto(s.uiUrl());
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(MODEL));
    const attach = page.getByRole('button', { name: 'Attach images' });
    expect(await attach.isDisabled()).toBe(true);
    expect(await attach.getAttribute('title')).toMatch(/VQ-GAN weights/);
    expect(await message(page).isDisabled()).toBe(false);
  });

  it('refuses a file that is not VQ-GAN weights with the coded error, then takes the real weights', async () => {
    await page.getByRole('button', { name: /Settings/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.locator('#vqgan-path').fill(MODEL);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const err = dialog.locator('.field-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.getAttribute('data-code')).toMatch(/^vqgan\./);
    expect(await err.textContent()).toMatch(/VQ-GAN/);
    await screenshot(page, 'images-00-settings-weights-error');
    await dialog.locator('#vqgan-path').fill(WEIGHTS);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Attach images' }).isDisabled(), { timeout: 30_000 }).toBe(false);
  });

  it('pastes one image and drops another where the text puts them, then sends text, image, text, image in that order', async () => {
    await page.keyboard.press('Control+n');
    // A short answer keeps the image message in view for the screenshot.
await setChatMaxTokens(page, 24);
    await message(page).fill('What is in this first picture?');
    await message(page).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(el.value.length, el.value.length));
    await pasteImage(page, GRADIENT, 'image/png');
    await expect.poll(() => chips(page).count()).toBe(1);
    // The caret moved to the text after the image: type there, then drop the second image at its end.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message');
    await page.keyboard.type('And how does it differ from this one?');
    await dropImage(page, PHOTO, 'image/jpeg');
    await expect.poll(() => chips(page).count()).toBe(2);
    await expect.poll(() => chips(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), { timeout: 120_000 }).toEqual(['ready', 'ready']);
    // First time these images are seen: tokenized, not cached.
    expect(await chips(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-cached')))).toEqual(['false', 'false']);
    expect(await page.locator('.meta .count').textContent()).toMatch(/2 images × 1,026/);
    await screenshot(page, 'images-01-composer');

    await message(page).press('Enter');
    const user = page.locator('article.user').last();
    await expect.poll(() => user.locator('[data-image-hash]').count(), { timeout: 30_000 }).toBe(2);
    // The order the user placed them in: text, image, text, image.
    const order = await user.locator('.parts > *').evaluateAll((els) => els.map((e) => (e.hasAttribute('data-image-hash') ? 'image' : `text:${e.textContent}`)));
    expect(order).toEqual(['text:What is in this first picture?', 'image', 'text:And how does it differ from this one?', 'image']);
    // The answer streams: a streaming row first, then a settled one with text.
    const answer = page.locator('article.assistant').last();
    await answer.waitFor({ timeout: 60_000 });
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 120_000 }).not.toBe('streaming');
    expect(['complete', 'stopped']).toContain(await answer.getAttribute('data-status'));
    expect(((await answer.locator('.body').textContent()) ?? '').trim().length).toBeGreaterThan(0);
    expect(await chips(page).count()).toBe(0);
    await expect.poll(() => user.locator('img[src^="data:image/"]').count(), { timeout: 30_000 }).toBe(2);
    await screenshot(page, 'images-02-answered');

    // Click an image: the lightbox shows it large; Esc closes it.
    await user.locator('[data-image-hash]').first().click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await viewer.waitFor();
    await screenshot(page, 'images-03-lightbox');
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.count()).toBe(0);
    // Focus goes back to the image that opened it, not to <body> (issue 15, defect 8).
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^View .* large$/);
  });

  it('finds the images and the answer after a server restart, and the codes come from the cache', async () => {
    const hashes = await page.locator('article.user').last().locator('[data-image-hash]').evaluateAll((els) => els.map((e) => e.getAttribute('data-image-hash')));
    const answerText = await page.locator('article.assistant').last().locator('.body').textContent();
    await s.restart();
    await page.goto(`${s.served.url}/`);
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(MODEL));
    await page.locator('nav[aria-label="Chats"] button.open', { hasText: 'What is in this first picture' }).click();
    const user = page.locator('article.user').last();
    await expect.poll(() => user.locator('img[src^="data:image/"]').count(), { timeout: 30_000 }).toBe(2);
    expect(await user.locator('[data-image-hash]').evaluateAll((els) => els.map((e) => e.getAttribute('data-image-hash')))).toEqual(hashes);
    expect(await page.locator('article.assistant').last().locator('.body').textContent()).toBe(answerText);

    // The same picture again after the restart: the stored codes are used, no encode runs.
    await message(page).fill('Once more:');
    await pasteImage(page, PHOTO, 'image/jpeg');
    await expect.poll(() => chips(page).first().getAttribute('data-status'), { timeout: 60_000 }).toBe('ready');
    expect(await chips(page).first().getAttribute('data-cached')).toBe('true');
    // Removing it leaves the text as it was.
    await chips(page).first().getByRole('button', { name: /^Remove/ }).click();
    expect(await chips(page).count()).toBe(0);
    expect(await message(page).inputValue()).toBe('Once more:');
  });

  it('Enter right after pasting a new image waits for its codes, then sends text and image', async () => {
    await message(page).fill('Quick, what about this one?');
    await message(page).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(el.value.length, el.value.length));
    await pasteImage(page, ALPHA, 'image/png');
    await expect.poll(() => chips(page).count()).toBe(1);
    await message(page).press('Enter');
    const user = page.locator('article.user').last();
    await expect.poll(() => user.textContent(), { timeout: 60_000 }).toContain('Quick, what about this one?');
    await expect.poll(() => user.locator('img[src^="data:image/png"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await chips(page).count()).toBe(0);
    const answer = page.locator('article.assistant').last();
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 120_000 }).not.toBe('streaming');
    expect(await answer.getAttribute('data-status')).toBe('complete');
    expect(s.browser.problems).toEqual([]);
  });
});
