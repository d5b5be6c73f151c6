// The conversation as a reader and writer sees it: right-to-left text, markdown that renders like
// the export, imports (good and bad), copy feedback, toasts, export names, the small window.
// Defects 7–11 of issue 15, each failing before its fix.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { useModelSession, openSession, screenshot, type Session } from './harness.ts';
import { assistants, composer, send, setChatMaxTokens, users, waitSettled } from './pageActions.ts';

const MODEL = tinyChameleonGguf();
const HEBREW = 'שלום עולם, מה שלומך היום?';
const ANSWER_MD = `${HEBREW}\n\n- [x] done item\n- [ ] open item\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n\`\`\`\n\`\`\`\n\nMath: $e^{i\\pi}+1=0$\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n`;

function transcript(title: string): string {
  const t = 1_760_000_000_000;
  return JSON.stringify({
    format: 'chameleon-desktop/transcript',
    version: 1,
    exportedAt: t,
    app: { name: 'Chameleon Desktop', version: '0.1.0' },
    conversations: [
      {
        title,
        titleIsCustom: true,
        createdAt: t,
        updatedAt: t,
        activeLeafId: 2,
        branches: 'active',
        images: [],
        messages: [
          { id: 1, parentId: null, role: 'user', status: 'complete', createdAt: t, parts: [{ kind: 'text', text: HEBREW }] },
          { id: 2, parentId: 1, role: 'assistant', status: 'complete', createdAt: t + 1, parts: [{ kind: 'text', text: ANSWER_MD }] },
        ],
      },
    ],
  });
}

async function importFile(page: Page, path: string): Promise<void> {
  await page.keyboard.press('Control+Shift+E');
  const dialog = page.getByRole('dialog', { name: /Export/ });
  await dialog.waitFor();
  await dialog.locator('input[type="file"]').setInputFiles(path);
}

/** An import runs to its end (it cannot be cancelled, so Esc does not close the dialog meanwhile). */
async function importDone(page: Page): Promise<void> {
  await expect.poll(() => page.getByRole('dialog', { name: /Export/ }).textContent(), { timeout: 30_000 }).toMatch(/Imported \d+ chat/);
}

describe('reading and writing a conversation', () => {
  let s: Session;
  let page: Page;

  useModelSession(MODEL, async (opened) => {
    ({ s, page } = opened);
    await s.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.served.url });
  });

  it('says a file that is not JSON is not a transcript we can read (defect 10)', async () => {
    const path = join(s.dataDir, 'notes.txt');
    writeFileSync(path, 'hello, these are my notes and not JSON');
    await importFile(page, path);
    const dialog = page.getByRole('dialog', { name: /Export/ });
    await expect.poll(() => dialog.textContent(), { timeout: 10_000 }).toMatch(/not a transcript we can read/i);
    expect(await dialog.textContent()).not.toContain('Something went wrong');
    // The message never quotes the file's content.
    expect(await dialog.textContent()).not.toContain('my notes');
    await page.keyboard.press('Escape');
  });

  it('imports a transcript, marks a second import as a duplicate, and renders RTL and GFM like the export (defects 7, 9, 11)', async () => {
    const path = join(s.dataDir, 'rtl.json');
    writeFileSync(path, transcript('Hebrew and tasks'));
    await importFile(page, path);
    await expect.poll(() => users(page).count(), { timeout: 10_000 }).toBe(1);
    await importDone(page);
    await page.keyboard.press('Escape');
    // RTL: the user bubble and the answer's blocks run right to left.
    const dirOf = (loc: ReturnType<Page['locator']>) => loc.evaluate((el) => getComputedStyle(el).direction);
    expect(await dirOf(users(page).first().locator('.plain'))).toBe('rtl');
    expect(await dirOf(assistants(page).first().locator('.md p').first())).toBe('rtl');
    // Task lists are small disabled checkboxes inside their items, tables render as tables.
    const boxes = assistants(page).first().locator('li input[type="checkbox"]');
    expect(await boxes.count()).toBe(2);
    const box = await boxes.first().boundingBox();
    expect(box!.width).toBeLessThan(20);
    expect(await assistants(page).first().locator('table td').count()).toBe(2);
    // An empty code block keeps its Copy button inside it.
    const pre = await assistants(page).first().locator('pre').boundingBox();
    const copy = await assistants(page).first().locator('pre button.copy').boundingBox();
    expect(copy!.y).toBeGreaterThanOrEqual(pre!.y);
    expect(copy!.y + copy!.height).toBeLessThanOrEqual(pre!.y + pre!.height + 0.5);
    // Math renders as MathML, inline and as a block, with height (not as raw dollars).
    expect(await assistants(page).first().locator('math').count()).toBe(2);
    expect((await assistants(page).first().locator('math[display="block"]').boundingBox())!.height).toBeGreaterThan(20);
    await screenshot(page, 'rtl-and-gfm');

    // Esc while editing puts focus back on Edit, not on <body> (defect 8).
    await users(page).first().getByRole('button', { name: 'Edit' }).click();
    await page.locator('textarea[aria-label="Edit message"]').press('Escape');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Edit');

    // Copy gives feedback.
    await assistants(page).first().getByRole('button', { name: 'Copy', exact: true }).click();
    await expect.poll(() => assistants(page).first().locator('.bar').textContent()).toContain('Copied');

    // A second import of the same file is marked, not an unmarked twin.
    await importFile(page, path);
    await expect.poll(() => page.locator('nav[aria-label="Chats"] .title').allTextContents(), { timeout: 10_000 }).toContain('Hebrew and tasks (imported again)');
    await importDone(page);
    await page.keyboard.press('Escape');
  });

  it('types RTL in the composer and names an export after its chat (defects 7, 11)', async () => {
    await page.keyboard.press('Control+n');
    await composer(page).fill(HEBREW);
    expect(await composer(page).evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    await setChatMaxTokens(page, 16);
    await composer(page).press('Enter');
    await waitSettled(page);
    await page.keyboard.press('Control+Shift+E');
    const dialog = page.getByRole('dialog', { name: /Export/ });
    const download = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^שלום עולם.*\.md$/);
    await page.keyboard.press('Escape');
  });

  it('keeps toasts off the composer, and fits 800×600 with a collapsible sidebar (defect 11)', async () => {
    await page.keyboard.press('Control+n');
    await setChatMaxTokens(page, 16);
    await send(page, 'To be deleted');
    await waitSettled(page);
    const nav = page.locator('nav[aria-label="Chats"]');
    await expect.poll(() => nav.textContent(), { timeout: 10_000 }).toContain('To be deleted');
    await nav.locator('.conv', { hasText: 'To be deleted' }).hover();
    await nav.getByRole('button', { name: /^Delete To be deleted/ }).click();
    const toast = page.locator('.toast').first();
    await toast.waitFor();
    const t = (await toast.boundingBox())!;
    const c = (await page.locator('[data-testid="composer"]').boundingBox())!;
    const overlaps = t.x < c.x + c.width && c.x < t.x + t.width && t.y < c.y + c.height && c.y < t.y + t.height;
    expect(overlaps).toBe(false);

    await page.setViewportSize({ width: 800, height: 600 });
    // Placeholders fit their boxes.
    for (const sel of ['textarea[aria-label="Message"]', 'input[aria-label="Search all chats"]']) {
      const fits = await page.locator(sel).evaluate((el: HTMLInputElement | HTMLTextAreaElement) => {
        const ctx = document.createElement('canvas').getContext('2d')!;
        const st = getComputedStyle(el);
        ctx.font = `${st.fontSize} ${st.fontFamily}`;
        const pad = parseFloat(st.paddingLeft) + parseFloat(st.paddingRight);
        return ctx.measureText(el.placeholder).width <= el.clientWidth - pad + 1;
      });
      expect(fits, `${sel} placeholder clipped`).toBe(true);
    }
    await page.getByRole('button', { name: 'Hide sidebar' }).click();
    await expect.poll(() => nav.isVisible()).toBe(false);
    await screenshot(page, 'sidebar-collapsed-800x600');
    await page.getByRole('button', { name: 'Show sidebar' }).click();
    await expect.poll(() => nav.isVisible()).toBe(true);
    expect(s.browser.problems).toEqual([]);
  });
});

describe('a wrong API key', () => {
  it('says the key is wrong instead of waiting for the app to start (defect 11)', async () => {
    const s = await openSession({ open: false });
    try {
      await s.page.goto(`${s.served.url}/#key=not-the-right-key`);
      await expect.poll(() => s.page.locator('main').textContent(), { timeout: 20_000 }).toMatch(/key/i);
      expect(await s.page.locator('main').textContent()).not.toContain('Waiting for Chameleon to start');
      expect(await s.page.locator('footer[aria-label="Status"]').textContent()).toContain('Key refused');
      await screenshot(s.page, 'wrong-key');
    } finally {
      await s.close();
    }
  });
});
