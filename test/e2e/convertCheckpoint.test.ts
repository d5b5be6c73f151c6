// "Convert a checkpoint" from the Models screen (browser mode, real `npm run serve`): a tiny HF
// Chameleon checkpoint folder in the models folder becomes an installed, quantized GGUF that loads.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHubServer, type HubServer } from '../fixtures/hub/hubServer.ts';
import { STANDARD_ENTRIES, ggufBytes, serveStandardRepos } from '../fixtures/hub/hubRepos.ts';
import { writeChameleonGguf, type ChameleonGgufParams } from '../fixtures/gguf/chameleonGguf.ts';
import { writeHfCheckpoint } from '../fixtures/gguf/hfCheckpoint.ts';
import { ensureRendererBuilt, launchBrowser, screenshot, startServe, tempDataDir, type Browser, type Served } from './harness.ts';

const P: ChameleonGgufParams = { embd: 64, layers: 2, heads: 4, headsKv: 4, ff: 128, contextLength: 4096, weights: 'f32', seed: 45 };

describe('Models → Convert a checkpoint', () => {
  let hub: HubServer;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let checkpoint: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    hub = await startHubServer();
    serveStandardRepos(hub);
    dataDir = tempDataDir();
    const catalog = join(dataDir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ version: 1, entries: STANDARD_ENTRIES.map((e) => ({ ...e, bytes: e.kind === 'gguf' ? ggufBytes().length : e.bytes })) }));
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.CHAMELEON_MODEL_CATALOG = catalog;
    mkdirSync(join(dataDir, 'models'), { recursive: true });
    const reference = join(dataDir, 'reference.gguf');
    writeChameleonGguf(reference, P, { randomNorms: 0.1 });
    checkpoint = join(dataDir, 'models', 'chameleon-tiny-hf');
    await writeHfCheckpoint(reference, checkpoint, P);
    mkdirSync(join(dataDir, 'models', 'not-a-checkpoint'));
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

  it('converts and quantizes a checkpoint folder, installs the GGUF and loads it', async () => {
    await page.goto(`${served.url}/#key=${served.key}`);
    await page.getByRole('button', { name: /Models/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Models' });
    await dialog.waitFor();
    const form = dialog.getByRole('form', { name: 'Convert a checkpoint' });
    await form.getByLabel('Checkpoint folder').fill(checkpoint);
    await form.getByLabel('Quantization').selectOption('Q8_0');
    await form.scrollIntoViewIfNeeded();
    await screenshot(page, 'convert-00-form');
    await form.getByRole('button', { name: 'Convert' }).click();
    const job = dialog.locator('[data-conversion]');
    if (await job.waitFor({ timeout: 10_000 }).then(() => true, () => false)) {
      await job.scrollIntoViewIfNeeded();
      await screenshot(page, 'convert-01-progress');
    }
    const made = dialog.locator('[data-installed^="converted-"]');
    await made.waitFor({ timeout: 120_000 });
    expect(await made.locator('strong').textContent()).toContain('chameleon-tiny-hf Q8_0');
    await made.getByRole('button', { name: 'Load' }).click();
    await expect.poll(() => made.locator('.badge.on').count(), { timeout: 120_000 }).toBe(1);
    await made.scrollIntoViewIfNeeded();
    await screenshot(page, 'convert-02-installed-loaded');

    // a folder that is no checkpoint: the reason, then dismissed
    await form.getByLabel('Checkpoint folder').fill(join(dataDir, 'models', 'not-a-checkpoint'));
    await form.getByRole('button', { name: 'Convert' }).click();
    const failed = dialog.locator('[data-conversion] p.err[data-code="models.badWeights"]');
    await failed.waitFor({ timeout: 60_000 });
    await failed.scrollIntoViewIfNeeded();
    await screenshot(page, 'convert-03-refused');
    await dialog.locator('[data-conversion]').getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => dialog.locator('[data-conversion]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
