// The soak: a bounded run of mixed traffic against a real `npm run serve` stack (ServerApp, the real
// engine host on the tiny model, loopback only) — chats over the WebSocket, OpenAI completions
// streamed and not, exports and imports over HTTP — with random client aborts and the engine host
// killed every N requests. At the end the history must be intact (PRAGMA integrity_check), every
// answer complete or marked (stopped / error / interrupted, never left 'streaming'), and handles
// and memory back within a stated bound. `npm test` runs a small one; `npm run soak` a long one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI, { APIUserAbortError } from 'openai';
import type { StreamPacket } from '../../main/contract/api.ts';
import { createApiClient, type ApiStream } from '../../main/contract/apiClient.ts';
import { toErrorData } from '../../main/contract/errors.ts';
import { WS_PATH } from '../../main/contract/wire.ts';
import { connectWebSocket, type WebSocketConstructor } from '../../main/contract/wsClientTransport.ts';
import { ServerApp } from '../../main/server/serverApp.ts';
import { SeededRandom } from '../fixtures/gguf/seededRandom.ts';

export interface SoakOptions {
  dataDir: string;
  modelPath: string;
  requests: number;
  /** Kill the engine host (SIGKILL) after every this many requests. */
  killEvery: number;
  seed: number;
}

export interface SoakReport {
  requests: number;
  byKind: Record<string, number>;
  /** Outcomes: 'ok', 'aborted' (by the client), or the error code. */
  outcomes: Record<string, number>;
  /** The first few failures without a code of ours, as the client saw them. */
  unexplained: string[];
  hostKills: number;
  seconds: number;
  integrity: string;
  /** Assistant messages by stored status. */
  answers: Record<string, number>;
  fdGrowth: number;
  rssGrowthMiB: number;
  peakRssMiB: number;
}

const KEY = 'chm-soak-key';
const count = (m: Record<string, number>, k: string): void => void (m[k] = (m[k] ?? 0) + 1);
const openFds = (): number => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
};

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const rand = new SeededRandom(o.seed);
  const server = await ServerApp.start({ dataDir: o.dataDir, port: 0, modelPath: o.modelPath, env: { CHAMELEON_API_KEY: KEY } });
  const started = performance.now();
  const report: SoakReport = { requests: 0, byKind: {}, outcomes: {}, unexplained: [], hostKills: 0, seconds: 0, integrity: '', answers: {}, fdGrowth: 0, rssGrowthMiB: 0, peakRssMiB: 0 };
  let peakRss = process.memoryUsage().rss;
  const transport = connectWebSocket(globalThis.WebSocket as unknown as WebSocketConstructor, `ws://127.0.0.1:${server.port}${WS_PATH}`, KEY);
  await transport.ready;
  const api = createApiClient(transport);
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const http = (path: string, body: string): Promise<Response> =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body });
  let chat = await api.call('chats.create');
  let parent: number | null = null;
  // Warm up once before the baselines: the first request starts the host and JIT-compiles.
  await server.app.startupLoad;
  const fdBefore = openFds();
  const rssBefore = process.memoryUsage().rss;

  const kinds = ['chat', 'chat', 'apiStream', 'apiJson', 'export', 'import'] as const;
  for (let i = 0; i < o.requests; i++) {
    const kind = kinds[Math.floor(rand.next() * kinds.length)]!;
    const abort = rand.next() < 0.25;
    count(report.byKind, kind);
    try {
      if (kind === 'chat') {
        const stream: ApiStream<StreamPacket<'messages.send'>> = api.stream('messages.send', { conversationId: chat.id, parentId: parent, parts: [{ kind: 'text', text: `question ${i}` }], sampling: { maxTokens: 8, seed: i } });
        for await (const p of stream) {
          if (p.type === 'fragment' && abort) stream.cancel();
          if (p.type === 'success') parent = p.message.id;
          if (p.type === 'error') throw p.error;
        }
        count(report.outcomes, abort ? 'aborted' : 'ok');
        if (rand.next() < 0.2) {
          chat = await api.call('chats.create');
          parent = null;
        }
      } else if (kind === 'apiStream' || kind === 'apiJson') {
        const controller = new AbortController();
        const request = { model: 'chameleon', messages: [{ role: 'user' as const, content: `api ${i}` }], max_tokens: 8, seed: i };
        if (kind === 'apiStream') {
          const stream = await openai.chat.completions.create({ ...request, stream: true }, { signal: controller.signal });
          for await (const _ of stream) if (abort) controller.abort();
        } else {
          if (abort) setTimeout(() => controller.abort(), 5);
          await openai.chat.completions.create(request, { signal: controller.signal });
        }
        count(report.outcomes, abort ? 'aborted' : 'ok');
      } else if (kind === 'export') {
        const res = await http('/api/transcripts/export', JSON.stringify({ scope: { kind: 'all' }, format: rand.next() < 0.5 ? 'json' : 'markdown' }));
        await res.arrayBuffer();
        count(report.outcomes, res.ok ? 'ok' : `http${res.status}`);
      } else {
        const exported = await http('/api/transcripts/export', JSON.stringify({ scope: { kind: 'conversation', id: chat.id }, format: 'json', branches: 'all' }));
        const res = await http('/api/transcripts/import', await exported.text());
        await res.arrayBuffer();
        count(report.outcomes, res.ok ? 'ok' : `http${res.status}`);
      }
    } catch (err) {
      const name = (err as { name?: string }).name;
      // The client's own abort (the openai client's APIUserAbortError, fetch's AbortError).
      const ownAbort = abort && (err instanceof APIUserAbortError || name === 'AbortError');
      const outcome = ownAbort ? 'aborted' : toErrorData(err).code;
      count(report.outcomes, outcome);
      if (outcome === 'internal' && report.unexplained.length < 5) report.unexplained.push(`${kind}${abort ? ' (aborting)' : ''}: ${name}: ${toErrorData(err).message}`.slice(0, 300));
    }
    report.requests++;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if ((i + 1) % o.killEvery === 0 && server.app.engine.hostPid) {
      process.kill(server.app.engine.hostPid, 'SIGKILL');
      report.hostKills++;
    }
  }

  transport.close();
  // Let the last killed host be noticed and any stopped answer be stored.
  await server.app.generation.idle(5000);
  const db = new Database(join(o.dataDir, 'history.sqlite3'), { readonly: true });
  try {
    report.integrity = String(db.pragma('integrity_check', { simple: true }));
    for (const row of db.prepare(`SELECT status, count(*) AS n FROM messages WHERE role = 'assistant' GROUP BY status`).all() as { status: string; n: number }[]) report.answers[row.status] = row.n;
  } finally {
    db.close();
  }
  report.fdGrowth = openFds() - fdBefore;
  report.rssGrowthMiB = Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20);
  report.peakRssMiB = Math.round(peakRss / 2 ** 20);
  report.seconds = Math.round((performance.now() - started) / 100) / 10;
  await server.dispose();
  return report;
}
