// Chameleon draws, end to end in the browser mode (issue 12): Debian's chromium against the real
// `npm run serve` with the code-chain fixture (an aliased GGUF whose greedy decoding follows a
// known 1024-code path) and the narrow VQ-GAN as decoder. Pick "Image", ask, watch the preview
// sharpen (screenshots at three moments), see the finished image in place (lightbox, Save image…),
// regenerate and stop mid-image (a partial image, marked), export HTML and JSON and import back.
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { codeChainGguf } from '../fixtures/gguf/fixtureModels.ts';
import { openSession, screenshot, type Session } from './harness.ts';
import { assistants, composer } from './pageActions.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MODEL = codeChainGguf();
const WEIGHTS = resolve(ROOT, '..', 'shared', 'fixtures', 'vqgan', 'narrow', 'weights.safetensors');
const preview = (page: Page) => page.getByTestId('image-preview');

describe('image output in the browser mode against npm run serve', () => {
  let s: Session;
  let page: Page;

  beforeAll(async () => {
    s = await openSession({ model: MODEL, open: false });
    page = s.page;
  });
  afterAll(async () => {
    await s?.close();
  });

  async function exportAs(formatLabel: RegExp): Promise<string> {
    await page.keyboard.press('Control+Shift+E');
    const dialog = page.getByRole('dialog', { name: 'Export & import' });
    await dialog.waitFor();
    await dialog.getByLabel('This chat').check();
    await dialog.getByLabel(formatLabel).check();
    if (/JSON/.test(formatLabel.source)) await dialog.getByLabel(/Include every branch/).check();
    const download = page.waitForEvent('download', { timeout: 120_000 });
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    const text = readFileSync(await (await download).path(), 'utf8');
    await expect.poll(() => dialog.locator('.ok').textContent(), { timeout: 30_000 }).toMatch(/^Downloaded /);
    await page.keyboard.press('Escape');
    return text;
  }

  it('drawing is off until the VQ-GAN weights are set, with the reason', async () => {
    await page.goto(s.uiUrl());
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(MODEL));
    const mode = page.getByTestId('answer-mode');
    expect(await mode.isDisabled()).toBe(true);
    expect(await mode.getAttribute('title')).toMatch(/VQ-GAN/);
    await page.getByRole('button', { name: /Settings/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.locator('#vqgan-path').fill(WEIGHTS);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => mode.isDisabled(), { timeout: 30_000 }).toBe(false);
  });

  it('asks for an image and watches it sharpen row by row, then finds it in place', async () => {
    await page.keyboard.press('Control+n');
    await page.getByTestId('answer-mode').selectOption('image');
    await composer(page).fill('draw a red fox in the snow');
    expect(await page.locator('.meta .count').textContent()).toMatch(/answer image 1,026/);
    // Every preview the page shows, in order (the host decodes them throttled, latest wins).
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { previewCodes: number[] }).previewCodes = seen;
      new MutationObserver(() => {
        const n = Number(document.querySelector('[data-testid="image-preview"]')?.getAttribute('data-codes') ?? 0);
        if (n > 0 && seen.at(-1) !== n) seen.push(n);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-codes'] });
    });
    await composer(page).press('Enter');
    const seen = (): Promise<number[]> => page.evaluate(() => (window as unknown as { previewCodes: number[] }).previewCodes);
    const answer = assistants(page).last();
    // Three moments: the first rows, a later preview (or, on a slow machine, none before the end), the finished image.
    await expect.poll(async () => (await seen()).length, { timeout: 120_000 }).toBeGreaterThan(0);
    await screenshot(page, 'imagegen-01-preview-early');
    await expect.poll(async () => (await seen()).length > 1 || (await answer.getAttribute('data-status')) === 'complete', { timeout: 180_000 }).toBe(true);
    if ((await seen()).length > 1) await screenshot(page, 'imagegen-02-preview-later');
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 180_000 }).toBe('complete');
    const shown = await seen();
    // Previews only ever move forward, a grid row (32 codes) at a time, and never show the whole image.
    expect(shown.every((n, i) => n % 32 === 0 && n < 1024 && (i === 0 || n > shown[i - 1]!))).toBe(true);
    const image = answer.locator('[data-image-hash]');
    await expect.poll(() => image.locator('img[src^="data:image/png"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await image.getAttribute('data-partial')).toBeNull();
    await screenshot(page, 'imagegen-03-finished');
    // The lightbox shows it large and offers Save image… (a PNG download).
    await image.click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await viewer.waitFor();
    const save = viewer.getByRole('link', { name: 'Save image…' });
    expect(await save.getAttribute('download')).toMatch(/^chameleon-[0-9a-f]{12}\.png$/);
    const download = page.waitForEvent('download');
    await save.click();
    expect((await download).suggestedFilename()).toMatch(/\.png$/);
    await screenshot(page, 'imagegen-04-lightbox');
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.count()).toBe(0);
  }, 400_000);

  it('regenerates, and Stop mid-image keeps the partial image, marked', async () => {
    const answer = assistants(page).last();
    await answer.getByRole('button', { name: 'Regenerate' }).click();
    // Drawing has begun (the preview frame is up); its first decoded preview may come later, priced
    // by the last decode's time (the 10 % budget): stop a few seconds in either way.
    await preview(page).waitFor({ timeout: 120_000 });
    await screenshot(page, 'imagegen-05a-drawing-started');
    await new Promise((r) => setTimeout(r, 4000));
    await page.getByRole('button', { name: 'Stop generating' }).click();
    const stopped = assistants(page).last();
    await expect.poll(() => stopped.getAttribute('data-status'), { timeout: 60_000 }).toBe('stopped');
    const image = stopped.locator('[data-image-hash]');
    await expect.poll(() => image.getAttribute('data-partial'), { timeout: 30_000 }).toBe('true');
    expect(await stopped.locator('.badge').textContent()).toMatch(/Partial/);
    expect(await stopped.getByLabel(/Version 2 of 2/).count()).toBe(1);
    await screenshot(page, 'imagegen-05-stopped-partial');
  }, 300_000);

  it('exports HTML and JSON with the images and imports the JSON back', async () => {
    const html = await exportAs(/HTML \(\.html\)/);
    expect(html.match(/<img class="attached" alt="Generated image 512×512" [^>]*src="data:image\/png;base64,/g)?.length).toBe(1);
    const json = await exportAs(/JSON transcript/);
    const file = JSON.parse(json) as { conversations: Array<{ messages: Array<{ parts: Array<{ kind: string }> }>; images: unknown[] }> };
    const generated = file.conversations[0]!.messages.flatMap((m) => m.parts).filter((p) => p.kind === 'generatedImage');
    expect(generated).toHaveLength(2);
    expect(file.conversations[0]!.images).toHaveLength(2);

    await page.keyboard.press('Control+Shift+E');
    const dialog = page.getByRole('dialog', { name: 'Export & import' });
    await dialog.getByLabel('Transcript file to import').setInputFiles({ name: 'drawn.json', mimeType: 'application/json', buffer: Buffer.from(json) });
    await expect.poll(() => dialog.locator('.ok').textContent(), { timeout: 60_000 }).toBe('Imported 1 chat from a Chameleon transcript.');
    await page.keyboard.press('Escape');
    const imported = assistants(page).last().locator('[data-image-hash]');
    await expect.poll(() => imported.locator('img[src^="data:image/png"]').count(), { timeout: 30_000 }).toBe(1);
    await screenshot(page, 'imagegen-06-imported');
    // The same chat small and dark, as a person on a laptop at night sees it.
    await page.setViewportSize({ width: 800, height: 600 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'imagegen-07-imported-800-dark');
  }, 300_000);
});
