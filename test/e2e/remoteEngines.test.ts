// Remote engines as a user meets them in the browser UI: add a llama.cpp server in Settings →
// Engines (the real llama-server on 127.0.0.1, tiny fixture model), chat through it, see which
// engine answered, lose the server mid-chat, and go back to this computer in one click.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { llamaTools, startLlamaServer, type ToolProcess } from '../tools/llamaServerProcess.ts';
import { launchBrowser, screenshot, useModelSession, type Session } from './harness.ts';
import { assistants, bannerCode, send, setChatMaxTokens, statusBar, waitSettled } from './pageActions.ts';

const MODEL = tinyChameleonGguf();
const tools = llamaTools();

async function openSettings(page: Page) {
  await page.getByRole('button', { name: /Settings/ }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.waitFor();
  return dialog;
}

/**
 * Greedy answers for this chat: this llama-server ends a stream whose text is not valid UTF-8 (its
 * chat parser), and the random-weight model's sampled bytes often are not; greedy on this prompt is.
 */
async function greedy(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: /Sampling/ });
  const panel = page.locator('aside[aria-labelledby="sampling-title"]');
  if ((await panel.count()) === 0) await toggle.click();
  await panel.locator('#chat-temperature').fill('0');
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect.poll(() => panel.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
  await toggle.click();
  await expect.poll(() => panel.count()).toBe(0);
}

describe.skipIf(!tools)('remote engines in the browser UI', () => {
  let s: Session;
  let page: Page;
  let server: ToolProcess;

  useModelSession(MODEL, async (opened) => {
    ({ s, page } = opened);
    server = await startLlamaServer({ model: MODEL });
  });

  it('adds a llama.cpp server after testing it, and answers through it with the engine named', async () => {
    const dialog = await openSettings(page);
    const panel = dialog.getByTestId('engines-panel');
    await panel.getByLabel('Name').fill('Loopback server');
    await panel.getByLabel('Base URL').fill(server.baseUrl);
    await panel.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => panel.getByRole('status').textContent(), { timeout: 30_000 }).toContain('Chameleon');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'engines-tested-1280-light');
    await panel.getByRole('button', { name: 'Add engine' }).click();
    await expect.poll(() => panel.getByTestId('remote-engine').count()).toBe(1);
    await panel.getByRole('radio', { name: /Loopback server/ }).check();
    await expect.poll(() => statusBar(page).textContent(), { timeout: 30_000 }).toContain('Remote · Loopback server');
    await screenshot(page, 'engines-added-1280-light');
    await dialog.getByRole('button', { name: 'Close settings' }).click();

    await page.getByRole('button', { name: /New chat/ }).first().click();
    await setChatMaxTokens(page, 12);
    await greedy(page);
    // A question whose greedy answer on the random model is whole UTF-8: llama-server's chat parser ends any other.
    await send(page, 'what is the capital of France');
    expect(await waitSettled(page)).toBe('complete');
    await assistants(page).last().getByRole('button', { name: 'Info' }).click();
    await expect.poll(() => assistants(page).last().getByTestId('message-engine').textContent()).toBe('Loopback server (llama.cpp server)');
    // The status bar names the model the server serves (its name for the file).
    expect(await statusBar(page).textContent()).toContain('tiny-chameleon');
    await screenshot(page, 'remote-answer-1280-light');
  });

  it('keeps the chat when the server goes away, says so, and returns to this computer in one click', async () => {
    await server.kill();
    await send(page, 'hello over there');
    await expect.poll(() => bannerCode(page), { timeout: 60_000 }).toMatch(/^remote\./);
    await screenshot(page, 'remote-lost-1280-light');
    await page.getByTestId('error-banner').getByRole('button', { name: 'Use this computer' }).click();
    await expect.poll(() => statusBar(page).textContent(), { timeout: 30_000 }).not.toContain('Remote ·');
    expect(await bannerCode(page)).toBeNull();
    await send(page, 'hello over there');
    expect(await waitSettled(page)).toBe('complete');
    await assistants(page).last().getByRole('button', { name: 'Info' }).click();
    await expect.poll(() => assistants(page).last().getByTestId('message-engine').textContent()).toBe('This computer');
    // The earlier remote answer is still in the history.
    expect(await assistants(page).count()).toBeGreaterThanOrEqual(2);
  });

  it('looks right small and dark, with the remote engine listed', async () => {
    const small = await launchBrowser({ width: 800, height: 600 }, 'dark');
    try {
      await small.page.goto(s.uiUrl());
      const dialog = await openSettings(small.page);
      await dialog.getByTestId('engines-panel').scrollIntoViewIfNeeded();
      await screenshot(small.page, 'engines-800-dark');
      expect(small.problems).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
