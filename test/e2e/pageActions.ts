// What a user does on the page, shared by the e2e files: send, wait for an answer to settle, set a
// chat's answer length, read the banner. Selectors are the ones a person sees (roles, labels).
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export const assistants = (page: Page) => page.locator('article.assistant');
export const users = (page: Page) => page.locator('article.user');
export const composer = (page: Page) => page.locator('textarea[aria-label="Message"]');
export const statusBar = (page: Page) => page.locator('footer[aria-label="Status"]');

/** The status bar names the loaded model (no expect.poll: beforeAll hooks call it too). */
export async function waitModel(page: Page, fileName: string): Promise<void> {
  await page.waitForFunction((name) => document.querySelector('footer[aria-label="Status"]')?.textContent?.includes(name), fileName, { timeout: 60_000 });
}

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Waits until the answer (last by default) is no longer streaming and Send is back; its status. */
export async function waitSettled(page: Page, i = -1): Promise<string | null> {
  const row = i < 0 ? assistants(page).last() : assistants(page).nth(i);
  await expect.poll(() => row.getAttribute('data-status'), { timeout: 90_000 }).not.toBe('streaming');
  await expect.poll(() => page.locator('button[aria-label="Send"]').count(), { timeout: 30_000 }).toBe(1);
  return row.getAttribute('data-status');
}

/** Length of the last answer's text; 0 while the "Reading the prompt… N%" placeholder stands in its body. */
export async function answerLength(page: Page): Promise<number> {
  const body = assistants(page).last().locator('.body');
  if ((await body.locator('.typing').count()) > 0) return 0;
  return ((await body.textContent()) ?? '').length;
}

/** Answer length per chat, set in the chat's sampling panel: short answers keep steps fast, long ones leave time to stop or kill. */
export async function setChatMaxTokens(page: Page, n: number): Promise<void> {
  const toggle = page.getByRole('button', { name: /Sampling/ });
  const panel = page.locator('aside[aria-labelledby="sampling-title"]');
  if ((await panel.count()) === 0) await toggle.click();
  await panel.locator('#chat-maxTokens').fill(String(n));
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect.poll(() => panel.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
  await toggle.click();
  await expect.poll(() => panel.count()).toBe(0);
}

/** The code of the error banner, or null when none shows. */
export async function bannerCode(page: Page): Promise<string | null> {
  const banner = page.locator('[role="alert"][data-code]');
  return (await banner.count()) > 0 ? banner.first().getAttribute('data-code') : null;
}

/** aria-label / id of the focused element ('BODY' when focus fell out of the page's controls). */
export function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'BODY';
    return el.getAttribute('aria-label') ?? el.id ?? el.textContent?.trim() ?? el.tagName;
  });
}

/** The list is virtualized: rows far from the viewport are not in the DOM. Go to the top. */
export async function scrollToTop(page: Page): Promise<void> {
  await page.locator('[role="log"]').evaluate((el) => (el.scrollTop = 0));
  await page.waitForTimeout(100);
}
