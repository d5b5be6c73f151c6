// `npm run bench:ui`: the renderer against the real `npm run serve` in chromium.
//  1. open a 10 000-message chat: click → its newest messages painted (goal < 300 ms);
//  2. frame times while a long answer streams into it (goal: no frame over 50 ms);
//  3. search over 100 000 stored messages: the server's query time and the UI's keystroke-to-
//     results time (goal < 50 ms).
// Prints numbers and ratios to the goals; asserts nothing (house style rule 10).
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ChatStore } from '../../main/store/ChatStore.ts';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { ensureRendererBuilt, launchBrowser, startServe, tempDataDir } from '../e2e/harness.ts';

const BIG_CHAT = 10_000;
const TOTAL = 100_000;
const WORDS = ['lizard', 'gecko', 'iguana', 'tortoise', 'python', 'anole', 'skink', 'monitor', 'basilisk', 'agama', 'colour', 'tongue', 'desert', 'forest'];

function sentence(i: number): string {
  // The base-14 digits of i pick the words, so every combination occurs and queries hit few rows.
  const w = (k: number) => WORDS[(Math.floor(i / WORDS.length ** (k - 1)) + k) % WORDS.length];
  return `Message ${i}: the ${w(1)} met a ${w(2)} near the ${w(3)}; they talked about ${w(4)} habits and ${w(5)} diets for a while.`;
}

function seed(dataDir: string): { bigChatId: number; seconds: number } {
  const t0 = performance.now();
  const store = ChatStore.open(dataDir);
  let n = 0;
  const fill = (count: number): number => {
    const c = store.createConversation();
    let parent: number | null = null;
    for (let i = 0; i < count; i += 2) {
      parent = store.addUserMessage(c.id, parent, [{ kind: 'text', text: sentence(n++) }]).id;
      const w = store.beginAssistantMessage(c.id, parent, { seed: i });
      w.append(`${sentence(n++)}\n\n- a point\n- another point with \`code\``);
      parent = w.finish('complete', { tokens: { prompt: 40, completion: 30 } })?.id ?? parent;
    }
    return c.id;
  };
  const others = (TOTAL - BIG_CHAT) / 1000;
  for (let k = 0; k < others; k++) fill(1000);
  // Made last, so it is the newest chat at the top of the sidebar.
  const bigChatId = fill(BIG_CHAT);
  store.dispose();
  return { bigChatId, seconds: (performance.now() - t0) / 1000 };
}

function serverSearchMs(dataDir: string, query: string): number {
  const store = ChatStore.open(dataDir);
  store.search(query);
  const runs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    store.search(query);
    runs.push(performance.now() - t);
  }
  store.dispose();
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  await ensureRendererBuilt();
  const dataDir = tempDataDir();
  const seeded = seed(dataDir);
  console.log(`seeded ${TOTAL} messages (${BIG_CHAT} in one chat) in ${seeded.seconds.toFixed(1)} s`);
  const searchSql = serverSearchMs(dataDir, 'basilisk diets');
  console.log(`search SQL: ${searchSql.toFixed(1)} ms`);

  const served = await startServe({ dataDir, model: tinyChameleonGguf() });
  const browser = await launchBrowser({ width: 1200, height: 800 });
  const page = browser.page;
  try {
    await page.goto(`${served.url}/#key=${served.key}`);
    await page.locator('article.assistant').last().waitFor({ timeout: 60_000 });
    // Open another chat, then time switching to the 10 000-message one.
    const openMs: number[] = [];
    for (let run = 0; run < 5; run++) {
      await page.locator('nav[aria-label="Chats"] button.open').nth(1).click();
      await page.waitForFunction(() => document.querySelectorAll('article').length > 0 && !document.querySelector('[aria-current="page"]')?.closest('.conv')?.matches(':first-child'));
      openMs.push(
        await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const t0 = performance.now();
              const first = document.querySelector<HTMLButtonElement>('nav[aria-label="Chats"] .conv:first-child button.open')!;
              first.click();
              const check = (): void => {
                const rows = document.querySelectorAll('article[data-message-id]');
                const active = document.querySelector('[aria-current="page"]')?.closest('.conv')?.matches(':first-child');
                if (active && rows.length > 0 && (document.querySelector('h1.title')?.textContent ?? '').startsWith('Message')) {
                  // Rows are in the DOM: wait for the frame that paints them.
                  requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
                } else requestAnimationFrame(check);
              };
              check();
            }),
        ),
      );
    }
    const rowsInDom = await page.locator('article[data-message-id]').count();
    console.log(`open: ${openMs.map((x) => x.toFixed(0)).join(', ')} ms`);

    // Scroll up through older pages while recording frame times.
    const scrollFrames = await page.evaluate(
      () =>
        new Promise<number[]>((resolve) => {
          const scroller = document.querySelector<HTMLElement>('[role="log"]')!;
          const frames: number[] = [];
          let last = performance.now();
          let steps = 0;
          const tick = (): void => {
            const now = performance.now();
            frames.push(now - last);
            last = now;
            scroller.scrollTop = Math.max(0, scroller.scrollTop - 900);
            if (++steps < 240) requestAnimationFrame(tick);
            else resolve(frames.slice(1));
          };
          requestAnimationFrame(tick);
        }),
    );

    // Stream answers while recording every frame: into the big chat (its history fills the
    // context, so the answer is short), then a long one into a fresh chat.
    const streamInto = async (prompt: string): Promise<{ frames: number[]; chars: number }> => {
      await page.getByRole('button', { name: /Settings/ }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.getByLabel('Use custom sampling for this chat').check();
      await dialog.locator('#chat-max').fill('1500');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __stop: boolean };
        w.__frames = [];
        w.__stop = false;
        let last = performance.now();
        const tick = (): void => {
          const now = performance.now();
          w.__frames.push(now - last);
          last = now;
          if (!w.__stop) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      const box = page.locator('textarea[aria-label="Message"]');
      await box.fill(prompt);
      await box.press('Enter');
      await page.getByRole('button', { name: 'Stop generating' }).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 300_000 });
      const frames = await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __stop: boolean };
        w.__stop = true;
        return w.__frames.slice(1);
      });
      const chars = ((await page.locator('article.assistant').last().locator('.body').textContent()) ?? '').length;
      return { frames, chars };
    };
    const big = await streamInto('Tell me a long story about a basilisk');
    await page.keyboard.press('Control+n');
    const fresh = await streamInto('Tell me a very long story about a gecko');
    console.log('streamed');

    // Search: keystroke → highlighted results painted (includes the UI's 120 ms typing debounce).
    const searchUi: number[] = [];
    for (const q of ['basilisk diets', 'gecko', 'iguana forest', 'tortoise habits', 'agama tongue']) {
      searchUi.push(
        await page.evaluate(
          (query) =>
            new Promise<number>((resolve) => {
              const input = document.querySelector<HTMLInputElement>('input[aria-label="Search all chats"]')!;
              input.value = '';
              input.dispatchEvent(new Event('input', { bubbles: true }));
              setTimeout(() => {
                const t0 = performance.now();
                input.value = query;
                input.dispatchEvent(new Event('input', { bubbles: true }));
                const check = (): void => {
                  if (document.querySelector('ul[aria-label="Search results"] mark')) resolve(performance.now() - t0);
                  else if (performance.now() - t0 > 20_000) resolve(Number.NaN);
                  else requestAnimationFrame(check);
                };
                check();
              }, 300);
            }),
          q,
        ),
      );
    }
    const DEBOUNCE = 120;
    const missed = searchUi.filter(Number.isNaN).length;
    const found = searchUi.filter((x) => !Number.isNaN(x));

    console.log('\nUI benchmark (chromium headless, tiny fixture model, 2-core CPU)');
    console.log(`open 10 000-message chat: median ${fmt(pct(openMs, 0.5))}, max ${fmt(Math.max(...openMs))}  (goal < 300 ms: ${(pct(openMs, 0.5) / 300).toFixed(2)}× of budget); rows in DOM ${rowsInDom}`);
    console.log(`scrolling up through older pages: ${scrollFrames.length} frames, p95 ${fmt(pct(scrollFrames, 0.95))}, max ${fmt(Math.max(...scrollFrames))}`);
    for (const [label, run] of [['into the 10 000-message chat', big], ['a long answer into a new chat', fresh]] as const) {
      const f = run.frames;
      console.log(`streaming ${label} (${run.chars} chars): ${f.length} frames, p50 ${fmt(pct(f, 0.5))}, p95 ${fmt(pct(f, 0.95))}, max ${fmt(Math.max(...f))}, frames over 50 ms: ${f.filter((x) => x > 50).length}  (goal max < 50 ms: ${(Math.max(...f) / 50).toFixed(2)}×)`);
    }
    console.log(`search over ${TOTAL} messages: SQL median ${fmt(searchSql)} (goal < 50 ms: ${(searchSql / 50).toFixed(2)}×); UI keystroke→results median ${fmt(pct(found, 0.5))} incl. ${DEBOUNCE} ms debounce (${fmt(pct(found, 0.5) - DEBOUNCE)} without)${missed ? `; ${missed} queries showed no results` : ''}`);
  } finally {
    await browser.close();
    await served.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
