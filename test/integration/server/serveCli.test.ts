// `npm run serve` as a user runs it: a subprocess that prints where it listens and where the key
// is, answers the openai client (streaming too), and shuts down cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running: Running[] = [];

function serve(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  // Its own process group, so the test can signal npm, node and the engine host together.
  const child = spawn('npm', ['run', '--silent', 'serve', '--', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, CHAMELEON_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  // 'close' waits for the output pipes, which the server and its engine host hold too (npm itself
  // may exit first on a signal): so it also proves the whole process tree is gone.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const r = { child, output: () => out, exited };
  running.push(r);
  return r;
}

async function waitForLine(r: Running, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const m = pattern.exec(r.output());
    if (m) return m;
    const exited = await Promise.race([r.exited.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), 50))]);
    if (exited) {
      const late = pattern.exec(r.output());
      if (late) return late;
      throw new Error(`serve exited before printing ${pattern}:\n${r.output()}`);
    }
  }
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    try {
      process.kill(-r.child.pid!, 'SIGKILL');
    } catch {
      /* the group is already gone */
    }
    await r.exited;
  }
});

describe('npm run serve', () => {
  it('prints the listening line and the key location, answers the openai client, and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chm-serve-'));
    const r = serve(['--model', tinyChameleonGguf(), '--port', '0', '--data-dir', dataDir]);
    const port = Number((await waitForLine(r, /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m))[1]);
    expect(port).toBeGreaterThan(0);
    const keyPath = (await waitForLine(r, /^API key stored in (.+?)( \(generated now\))?$/m))[1]!;
    expect(keyPath).toBe(join(dataDir, 'api-key'));
    const key = readFileSync(keyPath, 'utf8').trim();

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0 });
    expect((await client.models.list()).data).toHaveLength(1);
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hello' }], max_tokens: 6, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);

    process.kill(-r.child.pid!, 'SIGTERM');
    await r.exited;
    expect(r.output()).toMatch(/^stopped$/m);
  });

  it('takes the key from CHAMELEON_API_KEY and, without a model, answers api.noModel', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chm-serve-'));
    const r = serve(['--port', '0', '--data-dir', dataDir], { CHAMELEON_API_KEY: 'env-key-123' });
    const port = Number((await waitForLine(r, /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m))[1]);
    await waitForLine(r, /API key: from the CHAMELEON_API_KEY environment variable/);
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'env-key-123', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 503,
      code: 'api.noModel',
    });
    process.kill(-r.child.pid!, 'SIGINT');
    await r.exited;
    expect(r.output()).toMatch(/^stopped$/m);
  });

  it('says which process holds the data folder, and which file is damaged, exiting non-zero; --recover-history goes on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chm-serve-'));
    const first = serve(['--port', '0', '--data-dir', dataDir]);
    await waitForLine(first, /^listening on /m);
    const second = serve(['--port', '0', '--data-dir', dataDir]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/could not start the server \[app\.dataDirInUse\]: The data folder .* is in use by .*\(process \d+, since /);
    process.kill(-first.child.pid!, 'SIGTERM');
    await first.exited;

    writeFileSync(join(dataDir, 'history.sqlite3'), 'garbage, not SQLite'.repeat(200));
    const damaged = serve(['--port', '0', '--data-dir', dataDir]);
    expect(await damaged.exited).toBe(1);
    expect(damaged.output()).toContain(`[store.corrupt]: The chat history ${join(dataDir, 'history.sqlite3')} is damaged`);
    const recovered = serve(['--port', '0', '--data-dir', dataDir, '--recover-history']);
    await waitForLine(recovered, /^listening on /m);
    expect(recovered.output()).toMatch(/history recovered: the damaged file is kept as .*history\.sqlite3\.damaged-/);
    process.kill(-recovered.child.pid!, 'SIGTERM');
    await recovered.exited;
  });

  it('exits with usage on a bad flag', async () => {
    const r = serve(['--port', 'many']);
    expect(await r.exited).not.toBe(0);
    expect(r.output()).toMatch(/--port must be an integer/);
    expect(r.output()).toMatch(/Usage: npm run serve/);
  });
});
