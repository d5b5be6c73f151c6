// The screens issue 15 added, reached by keyboard alone, each photographed at 1280×800 and
// 800×600 in light and dark: the chat's sampling panel, the shortcut cheat-sheet, Settings with
// Appearance and the API server, the status bar with model and memory. Also: a chat's sampling
// (seed, stop strings) reaches the answer, and the panel says when the chat differs.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { focusWithin, useModelSession, screenshot, type Session } from './harness.ts';
import { assistants, composer, send, statusBar, waitSettled } from './pageActions.ts';

const MODEL = tinyChameleonGguf();
const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
] as const;


describe('new screens, by keyboard', () => {
  let s: Session;
  let page: Page;

  useModelSession(MODEL, (opened) => void ({ s, page } = opened));

  it('sets seed, max tokens and a stop string for one chat from the sampling panel', async () => {
    await page.keyboard.press('Control+n');
    await page.keyboard.press('Control+Shift+S');
    const panel = page.locator('aside[aria-labelledby="sampling-title"]');
    await panel.waitFor();
    expect(await panel.getByTestId('sampling-state').textContent()).toContain('Follows the app defaults');
    // Keyboard only: Tab from the composer reaches the panel's fields.
    await panel.locator('#chat-seed').focus();
    await page.keyboard.type('1234');
    await panel.locator('#chat-maxTokens').fill('12');
    await panel.locator('#chat-stop').fill('###');
    // Stop strings → Use defaults → Apply: all inside the panel.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Apply');
    expect(await focusWithin(page, 'aside[aria-labelledby="sampling-title"]')).toBe(true);
    await panel.locator('#chat-maxTokens').press('Enter');
    await expect.poll(() => panel.getByTestId('sampling-state').textContent()).toContain('Differs from the defaults in 3 settings');
    await composer(page).focus();
    await send(page, 'Same seed, same answer?');
    await waitSettled(page);
    const first = await assistants(page).last().locator('.body').textContent();
    await assistants(page).last().getByRole('button', { name: 'Info' }).click();
    expect(await assistants(page).last().locator('dl.info').textContent()).toContain('1234');
    await assistants(page).last().getByRole('button', { name: 'Regenerate' }).click();
    await waitSettled(page);
    expect(await assistants(page).last().locator('.body').textContent()).toBe(first);
    expect(await assistants(page).last().locator('.status').textContent()).toMatch(/max answer tokens|End of turn|stop string/);
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const size of SIZES) {
      it(`shows the panel, the cheat-sheet, Settings and the status bar at ${size.width}×${size.height} (${scheme})`, async () => {
        const tag = `${size.width}x${size.height}-${scheme}`;
        await page.setViewportSize(size);
        await page.emulateMedia({ colorScheme: scheme });
        // The sampling panel is open from the test above (kept per window).
        await screenshot(page, `new-sampling-panel-${tag}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(overflow).toBeLessThanOrEqual(size.width);

        // '?' typed into a field is text; anywhere else it opens the cheat-sheet.
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.keyboard.press('?');
        const keys = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
        await keys.waitFor();
        expect(await keys.textContent()).toContain('Ctrl+Shift+S');
        await screenshot(page, `new-shortcuts-${tag}`);
        await page.keyboard.press('Escape');
        await expect.poll(() => keys.count()).toBe(0);

        await page.keyboard.press('Control+,');
        const settings = page.getByRole('dialog', { name: 'Settings' });
        await settings.waitFor();
        await settings.locator('#theme').scrollIntoViewIfNeeded();
        expect(await settings.getByTestId('server-url').textContent()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
        await screenshot(page, `new-settings-appearance-server-${tag}`);
        await page.keyboard.press('Escape');

        expect(await statusBar(page).textContent()).toMatch(/ctx.*thread.*RAM/s);
        await page.keyboard.press('Control+Shift+S');
        await page.keyboard.press('Control+Shift+S');
      });
    }
  }

  it('switches the theme by hand, hides the sidebar and zooms the text, all from the keyboard', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Control+,');
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.locator('#theme').selectOption('dark');
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(23, 24, 27)');
    await page.keyboard.press('Control+b');
    await expect.poll(() => page.locator('nav[aria-label="Chats"]').count()).toBe(0);
    await page.keyboard.press('Control+=');
    expect(await page.evaluate(() => document.documentElement.style.zoom)).not.toBe('');
    await screenshot(page, 'new-dark-by-hand-collapsed-zoomed-1280x800');
    await page.keyboard.press('Control+-');
    await page.keyboard.press('Control+b');
    await page.keyboard.press('Control+,');
    await settings.locator('#theme').selectOption('system');
    await page.keyboard.press('Escape');
    expect(s.browser.problems).toEqual([]);
  });
});
