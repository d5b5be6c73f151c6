// Issue 15's remaining chat features as a user reaches them, keyboard only: Continue an answer cut
// by max tokens, a chat's instructions and presets (with min-p), editing an answer, deleting one
// message, forking, pinning and archiving, and the API server's last requests. Then each new
// screen photographed at 1280×800 and 800×600, light and dark.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { focusWithin, useModelSession, screenshot, type Session } from './harness.ts';
import { assistants, composer, send, setChatMaxTokens, users, waitSettled } from './pageActions.ts';

const MODEL = tinyChameleonGguf();
const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
] as const;

const panel = (page: Page) => page.locator('aside[aria-labelledby="sampling-title"]');
const sidebar = (page: Page) => page.locator('aside[aria-label="Conversations"]');

/**
 * A chat row's actions show while the row has focus: Tab from the row's title reaches them
 * (`tabs` presses), then Enter. Returns the label of the button pressed.
 */
async function rowAction(page: Page, title: string, tabs: number): Promise<string | null> {
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await sidebar(page).locator('.conv .open').filter({ has: page.locator('.title', { hasText: exact }) }).first().focus();
  for (let i = 0; i < tabs; i++) await page.keyboard.press('Tab');
  const label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);
  await page.keyboard.press('Enter');
  return label;
}

/** An answer's text as written (markdown source, not its rendering): what its editor opens with. */
async function rawText(page: Page, answer: ReturnType<Page['locator']>): Promise<string> {
  await press(page, answer.getByRole('button', { name: 'Edit' }));
  const editor = page.getByRole('textbox', { name: 'Edit answer' });
  const text = await editor.inputValue();
  await editor.press('Escape');
  await expect.poll(() => editor.count()).toBe(0);
  return text;
}

/** Focus a control and press Enter on it: what a keyboard user does after tabbing there. */
async function press(page: Page, locator: ReturnType<Page['locator']>): Promise<void> {
  await locator.focus();
  await page.keyboard.press('Enter');
}

async function openPanel(page: Page): Promise<void> {
  if ((await panel(page).count()) === 0) await page.keyboard.press('Control+Shift+S');
  await panel(page).waitFor();
}

async function closePanel(page: Page): Promise<void> {
  if ((await panel(page).count()) > 0) await page.keyboard.press('Control+Shift+S');
  await expect.poll(() => panel(page).count()).toBe(0);
}

async function newChatWithAnswer(page: Page, question: string, maxTokens = 4): Promise<void> {
  await page.keyboard.press('Control+n');
  await setChatMaxTokens(page, maxTokens);
  await composer(page).focus();
  await send(page, question);
  await waitSettled(page);
}

/** The open chat's sidebar title once it is named after its first message (it starts as "New chat"). */
async function openChatTitle(page: Page): Promise<string> {
  const title = sidebar(page).locator('[aria-current="page"] .title');
  await expect.poll(() => title.textContent()).not.toBe('New chat');
  return (await title.textContent()) ?? '';
}

describe('editing and organising chats, by keyboard', () => {
  let s: Session;
  let page: Page;

  useModelSession(MODEL, (opened) => void ({ s, page } = opened));

  it('continues an answer cut at max tokens into the same message', async () => {
    await newChatWithAnswer(page, 'Tell me a long story about lizards.');
    const answer = assistants(page).last();
    await expect.poll(() => answer.locator('.status').getAttribute('data-reason')).toBe('maxTokens');
    const id = await answer.getAttribute('data-message-id');
    const before = await rawText(page, answer);
    await press(page, answer.getByRole('button', { name: 'Continue' }));
    await waitSettled(page);
    expect(await assistants(page).count()).toBe(1);
    const after = assistants(page).last();
    expect(await after.getAttribute('data-message-id')).toBe(id);
    // The same answer, grown: its old text is the start of the new one.
    const text = await rawText(page, after);
    expect(text.length).toBeGreaterThan(before.length);
    expect(text.startsWith(before)).toBe(true);
  });

  it('gives a chat instructions and min-p, saves them as a preset and picks it in another chat', async () => {
    await page.keyboard.press('Control+n');
    await openPanel(page);
    await panel(page).locator('#chat-instructions').focus();
    await page.keyboard.type('Answer like a pirate.');
    await panel(page).locator('#chat-minP').fill('0.1');
    await panel(page).locator('#chat-maxTokens').fill('4');
    // Enter in a field applies both halves of the panel.
    await panel(page).locator('#chat-minP').press('Enter');
    await expect.poll(() => panel(page).getByTestId('sampling-state').textContent()).toMatch(/Differs from the defaults in 2 settings/);
    await expect.poll(() => panel(page).getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    await panel(page).locator('#preset-name').focus();
    await page.keyboard.type('Pirate');
    await page.keyboard.press('Enter');
    await expect.poll(() => panel(page).locator('#chat-preset option').allTextContents()).toContain('Pirate');
    await composer(page).focus();
    await send(page, 'Where is the treasure?');
    await waitSettled(page);
    await press(page, assistants(page).last().getByRole('button', { name: 'Info' }));
    expect(await assistants(page).last().locator('dl.info').textContent()).toContain('minP 0.1');

    // Another chat starts with the defaults; picking the preset gives it the instructions and min-p.
    await page.keyboard.press('Control+n');
    await openPanel(page);
    await expect.poll(() => panel(page).locator('#chat-instructions').inputValue()).toBe('');
    await panel(page).locator('#chat-preset').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => panel(page).locator('#chat-instructions').inputValue()).toBe('Answer like a pirate.');
    await expect.poll(() => panel(page).locator('#chat-minP').inputValue()).toBe('0.1');
    expect(await focusWithin(page, 'aside[aria-labelledby="sampling-title"]')).toBe(true);
    await closePanel(page);
  });

  it('edits an answer in place, deletes one message and forks a chat from a message', async () => {
    await newChatWithAnswer(page, 'First question');
    await composer(page).focus();
    await send(page, 'Second question');
    await waitSettled(page);
    expect(await assistants(page).count()).toBe(2);

    // Edit the last answer: Enter on Edit opens the editor, Ctrl+Enter saves.
    const last = assistants(page).last();
    const lastId = await last.getAttribute('data-message-id');
    await press(page, last.getByRole('button', { name: 'Edit' }));
    const editor = page.getByRole('textbox', { name: 'Edit answer' });
    await expect.poll(() => focusWithin(page, `article[data-message-id="${lastId}"]`)).toBe(true);
    await page.keyboard.press('Control+a');
    await page.keyboard.type('A corrected answer.');
    await editor.press('Control+Enter');
    await expect.poll(() => assistants(page).last().locator('.body').textContent()).toContain('A corrected answer.');
    expect(await assistants(page).last().getAttribute('data-message-id')).toBe(lastId);

    // Delete the first answer: asks once more, then the rest of the chat stays.
    const firstAnswer = assistants(page).first();
    await press(page, firstAnswer.getByRole('button', { name: 'Delete message' }));
    await expect.poll(() => firstAnswer.getByRole('button', { name: 'Confirm delete' }).count()).toBe(1);
    await page.keyboard.press('Enter');
    await expect.poll(() => assistants(page).count()).toBe(1);
    expect(await users(page).count()).toBe(2);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message');

    // Fork at the first question: a new chat with just it, named after this one.
    await press(page, users(page).first().getByRole('button', { name: 'Fork' }));
    await expect.poll(() => sidebar(page).locator('[aria-current="page"] .title').textContent()).toMatch(/\(fork\)$/);
    await expect.poll(() => users(page).count()).toBe(1);
    expect(await assistants(page).count()).toBe(0);
    expect(await users(page).first().locator('.body').textContent()).toContain('First question');
  });

  it('pins a chat to the top and archives another, then brings it back', async () => {
    const current = sidebar(page).locator('[aria-current="page"] .title');
    const title = (await current.textContent()) ?? '';
    expect(await rowAction(page, title, 1)).toBe(`Pin ${title}`);
    const pinned = sidebar(page).locator('h2.group', { hasText: 'Pinned' });
    await pinned.waitFor();
    expect(await sidebar(page).locator('nav .conv .title').first().textContent()).toBe(title);

    const other = sidebar(page).locator('nav .conv .title').nth(1);
    const otherTitle = (await other.textContent()) ?? '';
    expect(await rowAction(page, otherTitle, 2)).toBe(`Archive ${otherTitle}`);
    await expect.poll(() => sidebar(page).locator('nav .conv .title').allTextContents()).not.toContain(otherTitle);
    await press(page, sidebar(page).getByRole('button', { name: 'Archived chats' }));
    await expect.poll(() => sidebar(page).locator('nav[aria-label="Archived chats"] .title').allTextContents()).toContain(otherTitle);
    // Opened from there, it keeps its title and says it is archived.
    await rowAction(page, otherTitle, 0);
    await expect.poll(() => page.locator('h1.title').textContent()).toBe(otherTitle);
    expect(await page.getByRole('button', { name: 'Archived: unarchive this chat' }).count()).toBe(1);
    // An archived chat cannot be pinned: Archive's place is first.
    expect(await rowAction(page, otherTitle, 1)).toBe(`Unarchive ${otherTitle}`);
    await expect.poll(() => sidebar(page).locator('nav[aria-label="Archived chats"] .title').allTextContents()).not.toContain(otherTitle);
    await press(page, sidebar(page).getByRole('button', { name: 'Back to chats' }));
    await expect.poll(() => sidebar(page).locator('nav[aria-label="Chats"] .title').allTextContents()).toContain(otherTitle);
  });

  it('lists the API server’s last requests in Settings: method, path, status, time; never the key', async () => {
    const res = await fetch(`${s.served.url}/v1/models?api_key=${s.served.key}`, { headers: { authorization: `Bearer ${s.served.key}` } });
    expect(res.status).toBe(200);
    const missing = await fetch(`${s.served.url}/v1/nothing`, { headers: { authorization: `Bearer ${s.served.key}` } });
    expect(missing.status).toBe(404);
    await page.keyboard.press('Control+,');
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.waitFor();
    const table = settings.getByTestId('server-requests');
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).toMatch(/GET \/v1\/models\s*200/);
    expect(await table.textContent()).toMatch(/GET \/v1\/nothing\s*404/);
    expect(await table.textContent()).not.toContain(s.served.key);
    await page.keyboard.press('Escape');
  });

  it('sets the scene for the photographs: a pinned chat with instructions and a cut answer, an archived one', async () => {
    await newChatWithAnswer(page, 'Archive me later');
    const archivedTitle = await openChatTitle(page);
    await newChatWithAnswer(page, 'Tell me about chameleons and their colours.', 6);
    await openPanel(page);
    await panel(page).locator('#chat-preset').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => panel(page).locator('#chat-instructions').inputValue()).toBe('Answer like a pirate.');
    await panel(page).locator('#chat-maxTokens').fill('6');
    await panel(page).locator('#chat-maxTokens').press('Enter');
    const title = await openChatTitle(page);
    expect(await rowAction(page, title, 1)).toBe(`Pin ${title}`);
    expect(await rowAction(page, archivedTitle, 2)).toBe(`Archive ${archivedTitle}`);
    await expect.poll(() => sidebar(page).locator('nav[aria-label="Chats"] .title').allTextContents()).not.toContain(archivedTitle);
    await sidebar(page).locator('.conv .open').filter({ hasText: title }).first().focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => assistants(page).last().getByRole('button', { name: 'Continue' }).count()).toBe(1);
    // The Undo toasts of the steps above go by themselves; the photographs are of the screens.
    await expect.poll(() => page.locator('.toast').count(), { timeout: 20_000 }).toBe(0);
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const size of SIZES) {
      it(`photographs Continue, the chat panel, editing, deleting, the Archived view and the request list at ${size.width}×${size.height} (${scheme})`, async () => {
        const tag = `${size.width}x${size.height}-${scheme}`;
        await page.setViewportSize(size);
        await page.emulateMedia({ colorScheme: scheme });
        await openPanel(page);
        await composer(page).focus();
        await screenshot(page, `chat-continue-panel-${tag}`);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);

        await press(page, assistants(page).last().getByRole('button', { name: 'Edit' }));
        await page.getByRole('textbox', { name: 'Edit answer' }).waitFor();
        await screenshot(page, `chat-edit-answer-${tag}`);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.getByRole('textbox', { name: 'Edit answer' }).count()).toBe(0);

        await press(page, users(page).last().getByRole('button', { name: 'Delete message' }));
        await users(page).last().getByRole('button', { name: 'Confirm delete' }).waitFor();
        await screenshot(page, `chat-delete-confirm-${tag}`);
        // Unconfirmed, it disarms by itself.
        await expect.poll(() => users(page).last().getByRole('button', { name: 'Delete message' }).count(), { timeout: 8000 }).toBe(1);
        await closePanel(page);

        await press(page, sidebar(page).getByRole('button', { name: 'Archived chats' }));
        await sidebar(page).locator('nav[aria-label="Archived chats"] .conv').first().waitFor();
        await screenshot(page, `sidebar-pinned-archived-${tag}`);
        await press(page, sidebar(page).locator('nav[aria-label="Archived chats"] .conv .open').first());
        await page.getByRole('button', { name: 'Archived: unarchive this chat' }).waitFor();
        await screenshot(page, `chat-archived-open-${tag}`);
        await press(page, sidebar(page).getByRole('button', { name: 'Back to chats' }));
        await press(page, sidebar(page).locator('nav[aria-label="Chats"] .conv .open').first());
        await expect.poll(() => assistants(page).last().getByRole('button', { name: 'Continue' }).count()).toBe(1);
        await screenshot(page, `sidebar-pinned-${tag}`);

        await page.keyboard.press('Control+,');
        const settings = page.getByRole('dialog', { name: 'Settings' });
        await settings.waitFor();
        await settings.getByTestId('server-requests').scrollIntoViewIfNeeded();
        await screenshot(page, `settings-server-requests-${tag}`);
        await page.keyboard.press('Escape');
        await expect.poll(() => settings.count()).toBe(0);
      });
    }
  }
});
