// "Make image-capable" from the Models screen (browser mode, real `npm run serve`): an imported
// Chameleon GGUF shows image output off with its reason, the user picks Anole's head file, watches
// the copy being written, and the new GGUF is installed with image output — off again until VQ-GAN
// decoder weights are chosen, then ready.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { IMAGE_CODEBOOK_SIZE } from '../../main/contract/chameleon.ts';
import { startHubServer, type HubServer } from '../fixtures/hub/hubServer.ts';
import { STANDARD_ENTRIES, VQGAN_WEIGHTS, ggufBytes, serveStandardRepos } from '../fixtures/hub/hubRepos.ts';
import { TINY_PARAMS, tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { writeChameleonGguf } from '../fixtures/gguf/chameleonGguf.ts';
import { writeSafetensors } from '../fixtures/gguf/safetensorsWriter.ts';
import { SeededRandom } from '../fixtures/gguf/seededRandom.ts';
import { ensureRendererBuilt, launchBrowser, screenshot, startServe, tempDataDir, type Browser, type Served } from './harness.ts';

describe('Models → Make image-capable', () => {
  let hub: HubServer;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let headPath: string;
  let sourcePath: string;
  // wide enough (512 columns, ~75 MB) that the copy takes a moment and its progress bar can be seen
  const COLUMNS = 512;

  beforeAll(async () => {
    await ensureRendererBuilt();
    // The catalog points at a loopback Hub: the screen's fit checks never leave the machine.
    hub = await startHubServer();
    serveStandardRepos(hub);
    dataDir = tempDataDir();
    const catalog = join(dataDir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ version: 1, entries: STANDARD_ENTRIES.map((e) => ({ ...e, bytes: e.kind === 'gguf' ? ggufBytes().length : e.bytes })) }));
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.CHAMELEON_MODEL_CATALOG = catalog;
    // Anole's head as the range download saves it, for the tiny model's 64 columns, in the models folder
    mkdirSync(join(dataDir, 'models'), { recursive: true });
    headPath = join(dataDir, 'models', 'anole-image-head.safetensors');
    const rng = new SeededRandom(3);
    const head = Float32Array.from({ length: IMAGE_CODEBOOK_SIZE * COLUMNS }, () => rng.normal(0.02));
    writeSafetensors(headPath, [{ name: 'lm_head.weight', dtype: 'F32', shape: [IMAGE_CODEBOOK_SIZE, COLUMNS], bytes: new Uint8Array(head.buffer) }]);
    sourcePath = join(dataDir, 'models', 'chameleon-512.gguf');
    writeChameleonGguf(sourcePath, { ...TINY_PARAMS, embd: COLUMNS, heads: 4, headsKv: 4, ff: 1024, layers: 1, weights: 'q8_0' });
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

  it('shows why image output is off, writes the image-capable copy with progress, and installs it', async () => {
    await page.goto(`${served.url}/#key=${served.key}`);
    await page.getByRole('button', { name: /Models/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Models' });
    await dialog.waitFor();
    await dialog.getByLabel('Path of the file to import').fill(sourcePath);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const source = dialog.locator('[data-installed^="local-"]').first();
    await source.waitFor({ timeout: 60_000 });
    const off = source.locator('[data-reason="noAliases"]');
    await off.waitFor();
    expect(await off.textContent()).toContain('no image aliases');
    await screenshot(page, 'imagecap-00-off-no-aliases');

    await source.getByRole('button', { name: 'Make image-capable…' }).click();
    const form = source.getByRole('form');
    await form.getByLabel('Where the image head comes from').selectOption('file');
    await form.getByLabel('Path of the head file').fill(headPath);
    await screenshot(page, 'imagecap-01-choose-head');
    await form.getByRole('button', { name: 'Make image-capable' }).click();

    // The bar is shown while the copy is written (on a fast disk it may be gone before it is seen).
    const bar = source.getByRole('progressbar');
    if (await bar.waitFor({ timeout: 10_000 }).then(() => true, () => false)) await screenshot(page, 'imagecap-01b-progress');
    const made = dialog.locator('[data-installed$="-images"]');
    await made.waitFor({ timeout: 120_000 });
    expect(await made.locator('strong').textContent()).toContain('(image-capable)');
    expect(await made.locator('.meta').first().textContent()).toContain('Images out');
    const noDecoder = made.locator('[data-reason="noDecoder"]');
    await noDecoder.waitFor();
    expect(await noDecoder.textContent()).toContain('no VQ-GAN decoder weights');
    await made.scrollIntoViewIfNeeded();
    await screenshot(page, 'imagecap-02-installed-no-decoder');

    // VQ-GAN weights chosen: image output is ready.
    await dialog.getByLabel('Kind of file').selectOption('vqgan');
    await dialog.getByLabel('Path of the file to import').fill(VQGAN_WEIGHTS);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const weights = dialog.locator('[data-installed]', { hasText: 'weights.safetensors' });
    await weights.waitFor({ timeout: 60_000 });
    await weights.getByRole('button', { name: 'Use for images' }).click();
    await expect.poll(() => made.locator('.imageout').textContent(), { timeout: 60_000 }).toContain('Images out: ready');
    await made.scrollIntoViewIfNeeded();
    await screenshot(page, 'imagecap-03-ready');
    expect(browser.problems).toEqual([]);
  });

  it('refuses a head file that is not one, with the reason, in dark mode at 800x600', async () => {
    const small = await launchBrowser({ width: 800, height: 600 }, 'dark');
    try {
      const p = small.page;
      await p.goto(`${served.url}/#key=${served.key}`);
      await p.getByRole('button', { name: /Models/ }).first().click();
      const dialog = p.getByRole('dialog', { name: 'Models' });
      await dialog.waitFor();
      // The image-capable copy's source was already made once: use another import of a GGUF-as-head mistake.
      const made = dialog.locator('[data-installed$="-images"]');
      await made.waitFor({ timeout: 30_000 });
      await made.getByRole('button', { name: 'Remove' }).click();
      await expect.poll(() => made.count(), { timeout: 30_000 }).toBe(0);
      const source = dialog.locator('[data-installed^="local-"]', { hasText: 'chameleon-512.gguf' }).first();
      await source.getByRole('button', { name: 'Make image-capable…' }).click();
      const form = source.getByRole('form');
      await form.getByLabel('Where the image head comes from').selectOption('file');
      await form.getByLabel('Path of the head file').fill(tinyChameleonGguf());
      await form.getByLabel('Path of the head file').press('Enter');
      const err = source.locator('p.err[data-code="models.badWeights"]');
      await err.waitFor({ timeout: 60_000 });
      await err.scrollIntoViewIfNeeded();
      await screenshot(p, 'imagecap-04-dark-800x600-bad-head');
      await source.getByRole('button', { name: 'Dismiss' }).click();
      await expect.poll(() => err.count()).toBe(0);
      expect(small.problems).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
