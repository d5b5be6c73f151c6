// From a fresh install to an answer about a picture without typing a path: the first-run guide
// opens Models, the user downloads the GGUF and the VQ-GAN weights from a loopback Hub (real
// `npm run serve`, node-llama-cpp's real downloader, HF_ENDPOINT pointing at 127.0.0.1), watches
// the progress bars, and the finished files are loaded and set up by themselves; then an image
// goes into the chat and gets an answer.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHubServer, type HubServer } from '../fixtures/hub/hubServer.ts';
import { ggufBytes, STANDARD_ENTRIES, serveStandardRepos } from '../fixtures/hub/hubRepos.ts';
import { ensureRendererBuilt, launchBrowser, screenshot, startServe, tempDataDir, type Browser, type Served } from './harness.ts';
import { VQGAN_WEIGHTS } from '../fixtures/hub/hubRepos.ts';

const GRADIENT = resolve(import.meta.dirname, '../../../shared/fixtures/vqgan/inputs/gradient.png');
const message = (page: Page) => page.locator('textarea[aria-label="Message"]');

describe('first run → Models → download → chat with an image', () => {
  let hub: HubServer;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    hub = await startHubServer({ bytesPerSecond: 1_000_000 });
    serveStandardRepos(hub);
    dataDir = tempDataDir();
    const catalog = join(dataDir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ version: 1, entries: STANDARD_ENTRIES.map((e) => ({ ...e, bytes: e.kind === 'gguf' ? ggufBytes().length : e.bytes })) }));
    // The server child inherits these: the shipped code, pointed at the loopback Hub.
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.CHAMELEON_MODEL_CATALOG = catalog;
    served = await startServe({ dataDir });
    browser = await launchBrowser({ width: 1280, height: 800 });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await hub?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('downloads both files from the Models screen with progress, and sets them up', async () => {
    await page.goto(`${served.url}/#key=${served.key}`);
    await page.getByRole('button', { name: 'Get models' }).click();
    const dialog = page.getByRole('dialog', { name: 'Models' });
    await dialog.waitFor();
    const gguf = dialog.locator('[data-entry="tiny-gguf"]');
    await expect.poll(() => gguf.locator('.fit').textContent(), { timeout: 30_000 }).toMatch(/layers|CPU/);
    await screenshot(page, 'models-00-catalog');

    // One click queues the recommended GGUF and VQ-GAN weights (the GGUF first).
    await dialog.getByRole('button', { name: /Download the recommended files/ }).click();
    const bar = gguf.getByRole('progressbar');
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(20);
    expect(await gguf.locator('.progress').textContent()).toMatch(/% · .* of .*(MB\/s)?/);
    expect(await dialog.locator('[data-entry="tiny-vqgan"] .progress').textContent()).toMatch(/Waiting/);
    await screenshot(page, 'models-01-progress');

    // Pause and resume from the screen: the bar stays where it was.
    await gguf.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => gguf.locator('.progress').textContent()).toMatch(/Paused at/);
    await screenshot(page, 'models-02-paused');
    await gguf.getByRole('button', { name: 'Resume' }).click();

    await dialog.locator('[data-installed="tiny-gguf"]').waitFor({ timeout: 120_000 });
    await dialog.locator('[data-installed="tiny-vqgan"]').waitFor({ timeout: 120_000 });
    await expect.poll(() => dialog.locator('[data-installed] .badge.on').count(), { timeout: 60_000 }).toBe(2);
    await screenshot(page, 'models-03-installed');
    const settings = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { modelPath?: string; vqganWeightsPath?: string };
    expect(settings.modelPath).toContain(join('models', 'tiny-gguf'));
    expect(settings.vqganWeightsPath).toContain(join('models', 'tiny-vqgan'));
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it('answers about an attached image', async () => {
    await expect.poll(() => page.getByRole('button', { name: 'Attach images' }).isDisabled(), { timeout: 60_000 }).toBe(false);
    await message(page).fill('What is in this picture?');
    const b64 = readFileSync(GRADIENT).toString('base64');
    await message(page).evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'gradient.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, b64);
    const chip = page.getByTestId('image-chip');
    await expect.poll(() => chip.getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    await message(page).press('Enter');
    const answer = page.locator('article.assistant').last();
    await answer.waitFor({ timeout: 60_000 });
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 120_000 }).not.toBe('streaming');
    expect(((await answer.locator('.body').textContent()) ?? '').trim().length).toBeGreaterThan(0);
    await screenshot(page, 'models-04-chat-image');
    // The prompt held the image: the context meter counts its 1026 tokens (the long random-weight
    // answer scrolls the message itself out of the rendered window).
    const meter = (await page.getByText(/ \/ 4,096 tokens/).textContent()) ?? '';
    expect(Number(meter.split('/')[0]!.replace(/[^0-9]/g, ''))).toBeGreaterThan(1026);
    expect(browser.problems).toEqual([]);
  });

  it('works by keyboard at 800x600 in dark mode, refuses a wrong import with the reason, and lays out RTL', async () => {
    const small = await launchBrowser({ width: 800, height: 600 }, 'dark');
    try {
      const p = small.page;
      await p.goto(`${served.url}/#key=${served.key}`);
      await p.getByRole('button', { name: /Models/ }).waitFor();
      let onModels = false;
      for (let i = 0; i < 40 && !onModels; i++) {
        await p.keyboard.press('Tab');
        onModels = (await p.evaluate(() => document.activeElement?.textContent ?? '')).includes('Models');
      }
      expect(onModels).toBe(true);
      await p.keyboard.press('Enter');
      const dialog = p.getByRole('dialog', { name: 'Models' });
      await dialog.waitFor();
      await expect.poll(() => dialog.locator('[data-installed]').count(), { timeout: 30_000 }).toBe(2);
      await screenshot(p, 'models-05-dark-800x600');

      // VQ-GAN weights imported as a GGUF: refused with the coded reason, nothing added.
      await dialog.getByLabel('Path of the file to import').fill(VQGAN_WEIGHTS);
      await dialog.getByLabel('Path of the file to import').press('Enter');
      const err = dialog.locator('p.err[role="alert"]');
      await err.waitFor({ timeout: 30_000 });
      expect(await err.getAttribute('data-code')).toBe('models.wrongFile');
      expect(await err.textContent()).toBe('weights.safetensors is not a Chameleon GGUF: it is not a readable GGUF file.');
      expect(await dialog.locator('[data-installed]').count()).toBe(2);
      await err.scrollIntoViewIfNeeded();
      await screenshot(p, 'models-06-import-refused');
      await p.keyboard.press('Escape');
      await expect.poll(() => dialog.count()).toBe(0);

      await p.evaluate(() => (document.documentElement.dir = 'rtl'));
      await p.getByRole('button', { name: /Models/ }).click();
      await dialog.waitFor();
      await screenshot(p, 'models-07-rtl');
      expect(small.problems).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
