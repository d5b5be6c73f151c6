// First run in the browser: no model chosen yet. The page explains what to download and how to
// open it; typing the model's path in Settings loads it and the chat becomes usable.
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyChameleonGguf, otherArchitectureGguf } from '../fixtures/gguf/fixtureModels.ts';
import { openSession, screenshot, type Session } from './harness.ts';

describe('first run without a model', () => {
  let s: Session;

  beforeAll(async () => {
    s = await openSession({ viewport: { width: 1000, height: 700 }, open: false });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('explains what to download, refuses a non-Chameleon file with advice, then loads the typed path', async () => {
    const page = s.page;
    await page.goto(s.uiUrl());
    const guide = page.locator('section.first-run');
    await guide.waitFor({ timeout: 30_000 });
    expect(await guide.textContent()).toContain('nopperl/chameleon-7b-GGUF');
    expect(await guide.textContent()).toContain('Q4_K_M');
    expect(await page.locator('footer[aria-label="Status"]').textContent()).toContain('No model loaded');
    await screenshot(page, '00-first-run');
    // Without a model there is nothing to send to (defect 11): Send stays off and says why.
    await page.locator('textarea[aria-label="Message"]').fill('hello?');
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await page.locator('textarea[aria-label="Message"]').fill('');

    // A mistyped path (in a models folder) is a typo, not a file that "moved" (defect 11).
    await guide.getByRole('button', { name: 'Open settings' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).getByLabel('Chameleon GGUF file').fill(join(dirname(tinyChameleonGguf()), 'chameleon-typo.gguf'));
    await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Load model' }).click();
    const missing = page.locator('[role="alert"][data-code]');
    await missing.waitFor({ timeout: 60_000 });
    expect(await missing.getAttribute('data-code')).toBe('model.notFound');
    expect(await missing.textContent()).not.toContain('moved or deleted');
    expect(await missing.textContent()).toContain('No file at');
    await missing.getByRole('button', { name: 'Dismiss' }).click();

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
    expect(s.browser.problems).toEqual([]);
  });
});
