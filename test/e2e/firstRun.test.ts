// First run in the browser: no model chosen yet. The page explains what to download and how to
// open it; typing the model's path in Settings loads it and the chat becomes usable.
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyChameleonGguf, otherArchitectureGguf } from '../fixtures/gguf/fixtureModels.ts';
import { launchBrowser, screenshot, startServe, tempDataDir, type Browser, type Served } from './harness.ts';

describe('first run without a model', () => {
  let browser: Browser;
  let served: Served;

  beforeAll(async () => {
    // chat.test.ts builds renderer/dist; build here too when run alone.
    const { execFileSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const root = join(import.meta.dirname, '..', '..');
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', 'renderer', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    served = await startServe({ dataDir: tempDataDir() });
    browser = await launchBrowser({ width: 1000, height: 700 });
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('explains what to download, refuses a non-Chameleon file with advice, then loads the typed path', async () => {
    const page = browser.page;
    await page.goto(`${served.url}/#key=${served.key}`);
    const guide = page.locator('section.first-run');
    await guide.waitFor({ timeout: 30_000 });
    expect(await guide.textContent()).toContain('nopperl/chameleon-7b-GGUF');
    expect(await guide.textContent()).toContain('Q4_K_M');
    expect(await page.locator('footer[aria-label="Status"]').textContent()).toContain('No model loaded');
    await screenshot(page, '00-first-run');

    // A llama GGUF: the banner branches on model.notChameleon and offers to choose another file.
    await guide.getByRole('button', { name: 'Open settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('Chameleon GGUF file').fill(otherArchitectureGguf());
    await dialog.getByRole('button', { name: 'Load model' }).click();
    const banner = page.getByRole('alert');
    await banner.waitFor({ timeout: 60_000 });
    expect(await banner.getAttribute('data-code')).toBe('model.notChameleon');
    expect(await banner.textContent()).toContain('Not a Chameleon model');
    await screenshot(page, '00b-not-chameleon');

    await banner.getByRole('button', { name: 'Choose model…' }).click();
    await dialog.getByLabel('Chameleon GGUF file').fill(tinyChameleonGguf());
    await dialog.getByRole('button', { name: 'Load model' }).click();
    await expect.poll(() => page.locator('footer[aria-label="Status"]').textContent(), { timeout: 60_000 }).toContain(basename(tinyChameleonGguf()));
    await page.getByRole('button', { name: 'Dismiss' }).click().catch(() => undefined);
    await page.getByRole('button', { name: 'Start a new chat' }).click();
    await expect.poll(() => page.locator('textarea[aria-label="Message"]').isEnabled()).toBe(true);
    expect(browser.problems).toEqual([]);
  });
});
