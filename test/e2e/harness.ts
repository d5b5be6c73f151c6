// E2E plumbing: Debian's chromium driven by playwright-core, and `npm run serve` (the real server,
// the real engine host, the tiny fixture model) in a child process with its own data dir.
import { createServer } from 'node:net';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { GENERATED_DIR } from '../fixtures/gguf/fixtureModels.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(import.meta.dirname, 'screenshots');
const ROOT = join(import.meta.dirname, '..', '..');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((n) => newestMtime(join(path, n))));
}

/**
 * Build renderer/dist when its sources are newer. Test files run in parallel workers and the build
 * empties dist first, so builds are serialized by a lock directory and skipped when up to date:
 * one worker's build must never pull the page out from under another worker's browser.
 */
export async function ensureRendererBuilt(): Promise<void> {
  const lock = join(ROOT, 'renderer', '.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`renderer build lock ${lock} held too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const built = join(ROOT, 'renderer', 'dist', 'index.html');
    const sources = ['renderer/src', 'renderer/index.html', 'renderer/vite.config.ts', 'main/contract'].map((p) => newestMtime(join(ROOT, p)));
    if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'renderer', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Page errors and CSP violations seen so far: a clean UI has none. */
  problems: string[];
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1200, height: 800 }, colorScheme: 'light' | 'dark' = 'light'): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'chameleon-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport,
    colorScheme,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Uncaught/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

export interface Served {
  url: string;
  key: string;
  process: ChildProcess;
  output: () => string;
  /** Pids of the server's child processes (the engine host). */
  children(): number[];
  stop(): Promise<void>;
}

/** Start `npm run serve`'s entry point on a free port; resolves once it prints its address. */
export async function startServe(opts: { dataDir: string; model?: string; key?: string; port?: number }): Promise<Served> {
  const key = opts.key ?? 'e2e-test-key-0123456789abcdef';
  // E2E_SERVE_ENTRY: point the suite at another server entry while developing it.
  // The browser UI opens only files in a models folder (paths are capabilities): the fixtures'
  // folders are the server's --models-dir, as a user would give their own.
  const modelDirs = [GENERATED_DIR, join(ROOT, '..', 'shared', 'fixtures', 'vqgan')].flatMap((d) => ['--models-dir', d]);
  const args = [process.env.E2E_SERVE_ENTRY ?? 'main/server/cli.ts', '--port', String(opts.port ?? 0), '--data-dir', opts.dataDir, ...modelDirs, ...(opts.model ? ['--model', opts.model] : [])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, CHAMELEON_API_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/$/, ''));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    key,
    process: child,
    output: () => out,
    children: () => {
      try {
        return execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' })
          .split('\n')
          .map((s) => Number(s.trim()))
          .filter((n) => n > 0);
      } catch {
        return [];
      }
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'chameleon-e2e-data-'));
}

/** A free loopback port, for a server that must come back on the same address after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Session {
  browser: Browser;
  page: Page;
  served: Served;
  dataDir: string;
  /** The address with the key in its hash, as `npm run serve` prints it. */
  uiUrl(): string;
  /** Stop the server and start it again on the same port and data dir (the page reconnects). */
  restart(): Promise<void>;
  /** The two halves of restart(), for what happens while the server is away. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The one way an e2e file starts: renderer built (if stale), `npm run serve` on a fresh data dir
 * and a fixed free port, a headless chromium, and (unless `open: false`) the UI opened with its
 * key. Every e2e file shares it, so a change to how the app starts is made once.
 */
export async function openSession(
  opts: { model?: string; viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; key?: string; open?: boolean } = {},
): Promise<Session> {
  await ensureRendererBuilt();
  const dataDir = tempDataDir();
  const port = await freePort();
  const serveOpts = { dataDir, port, ...(opts.model ? { model: opts.model } : {}), ...(opts.key ? { key: opts.key } : {}) };
  let served = await startServe(serveOpts);
  const browser = await launchBrowser(opts.viewport, opts.colorScheme);
  const session: Session = {
    browser,
    page: browser.page,
    get served() {
      return served;
    },
    dataDir,
    uiUrl: () => `${served.url}/#key=${served.key}`,
    stopServer: () => served.stop(),
    startServer: async () => {
      served = await startServe(serveOpts);
    },
    restart: async () => {
      await served.stop();
      served = await startServe(serveOpts);
    },
    close: async () => {
      await browser.close();
      await served.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.open !== false) await browser.page.goto(session.uiUrl());
  return session;
}

/** A session whose page already shows `model` loaded in the status bar (the usual start of a file). */
export async function openModelSession(model: string): Promise<{ s: Session; page: Page }> {
  const s = await openSession({ model });
  await s.page.waitForFunction((name) => document.querySelector('footer[aria-label="Status"]')?.textContent?.includes(name), basename(model), { timeout: 60_000 });
  return { s, page: s.page };
}

/**
 * Opens a model session before the file's tests (handing it to `onOpen`) and closes it after them:
 * the usual frame of an e2e file, in one line.
 */
export function useModelSession(model: string, onOpen: (opened: { s: Session; page: Page }) => void | Promise<void>): void {
  let session: Session | undefined;
  beforeAll(async () => {
    const opened = await openModelSession(model);
    session = opened.s;
    await onOpen(opened);
  });
  afterAll(async () => {
    await session?.close();
  });
}

/** Whether the focus is inside the element `selector` names (focus traps, keyboard-only tests). */
export function focusWithin(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => document.querySelector(sel)?.contains(document.activeElement) ?? false, selector);
}
