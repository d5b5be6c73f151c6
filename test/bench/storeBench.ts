// History benchmark (a script, not a test): a store of 1 000 000 messages, filled once through the
// ChatStore API and cached outside the clone (keyed by schema and seed version, since filling it
// takes minutes), then each goal of issue 14 printed next to its baseline from the same run:
//   search < 50 ms for any query (baseline: bm25 ranking of the newest 1 000 matches, the old query),
//   opening a chat independent of its length (baseline: the count(*) the summary used to make),
//   a 100 000-message chat opens < 100 ms, the 200 KB single-line message opens < 100 ms.
//   node test/bench/storeBench.ts [--messages=1000000] [--fresh (seed into a temp dir)]
import Database from 'better-sqlite3';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChatStore, DATABASE_FILE_NAME } from '../../main/store/ChatStore.ts';
import { LATEST_SCHEMA_VERSION } from '../../main/store/migrations/index.ts';
import { toFtsQuery } from '../../main/store/ftsQuery.ts';
import type { ImportConversation, ImportMessage } from '../../main/store/TranscriptStore.ts';
import { MarkdownRenderer, type Purifier } from '../../renderer/src/lib/markdown.ts';
import { BASELINE_COUNT_SQL, BASELINE_SEARCH_SQL } from './storeBaselines.ts';

/** Bump when seedHistory changes what it writes, so the cache is rebuilt. */
const SEED_VERSION = 2;
const COMMON = 'the a of and to in is it that for on with as you this be are was at or by not but can from have how what'.split(' ');
const TOPICS = 'giraffe volcano glacier sourdough quantum lizard chameleon tokenizer kernel galaxy violin harbor pepper lantern saffron'.split(' ');
const LONG_LINE = 'data_row *x* [y](z) `w` 12345 '.repeat(7000).slice(0, 200_000);

/** Deterministic PRNG (mulberry32), so every run indexes the same text. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const r = rand();
    if (r < 0.6) out.push(COMMON[Math.floor(rand() * COMMON.length)]!);
    else if (r < 0.62) out.push(TOPICS[Math.floor(rand() * TOPICS.length)]!);
    else out.push(`w${Math.floor(rand() * rand() * 50_000).toString(36)}`); // Zipf-ish long tail
  }
  return `${out.join(' ')}.`;
}

export interface SeedResult {
  longChatId: number;
  /** 200 messages: two pages' worth, the same page size as the long chat's newest page. */
  pageChatId: number;
  shortChatId: number;
  longLineChatId: number;
  messages: number;
  insertMs: number;
}

/**
 * Fill `store` with about `messages` messages: one chat of `longChat`, one holding a 200 KB line,
 * the rest in chats of 40. Through the transcript import (one transaction per batch of chats), the
 * path a restored export takes; a million single-message transactions would take half an hour.
 */
export function seedHistory(store: ChatStore, messages: number, longChat: number, progress?: (n: number) => void): SeedResult {
  const rand = rng(42);
  const started = performance.now();
  const transcripts = store.transcripts();
  let count = 0;
  let clock = Date.UTC(2024, 0, 1);
  function* exchanges(length: number, question: () => string): Generator<ImportMessage> {
    for (let i = 0; i < length; i += 2) {
      yield { key: i, parentKey: i === 0 ? null : i - 1, role: 'user', status: 'complete', parts: [{ kind: 'text', text: question() }], createdAt: clock++ };
      const answer = Array.from({ length: 3 }, () => sentence(rand, 10 + Math.floor(rand() * 40))).join(' ');
      yield {
        key: i + 1,
        parentKey: i,
        role: 'assistant',
        status: 'complete',
        parts: [{ kind: 'text', text: answer }],
        sampling: { temperature: 0.7, topP: 0.9 },
        seed: i,
        tokens: { prompt: 100 + i, completion: 60 },
        timings: { promptMs: 50, firstTokenMs: 60, totalMs: 900, tokensPerSecond: 66 },
        createdAt: clock++,
      };
      count += 2;
      if (count % 20_000 === 0) progress?.(count);
    }
  }
  const question = (): string => sentence(rand, 8 + Math.floor(rand() * 20));
  const chat = (length: number, ask = question): ImportConversation => ({ title: `chat ${clock}`, titleIsCustom: false, createdAt: clock, updatedAt: clock, messages: exchanges(length, ask) });
  const [long] = transcripts.importConversations([chat(longChat)]);
  const [longLine] = transcripts.importConversations([chat(2, () => LONG_LINE)]);
  const [page] = transcripts.importConversations([chat(200)]);
  let shortChatId = longLine!.id;
  while (count < messages) {
    const batch: ImportConversation[] = [];
    for (let planned = count; batch.length < 250 && planned < messages; planned += 40) batch.push(chat(Math.min(40, messages - planned)));
    shortChatId = transcripts.importConversations(batch).at(-1)!.id;
  }
  return { longChatId: long!.id, pageChatId: page!.id, shortChatId, longLineChatId: longLine!.id, messages: count, insertMs: performance.now() - started };
}

/** The seeded store for these sizes: from the cache when a finished one is there, else filled now. */
function seededDir(messages: number, longChat: number, fresh: boolean): { dir: string; seed: SeedResult; temporary: boolean } {
  const dir = fresh
    ? mkdtempSync(join(tmpdir(), 'chameleon-store-bench-'))
    : join(homedir(), '.cache', 'chameleon-desktop', 'store-bench', `schema${LATEST_SCHEMA_VERSION}-seed${SEED_VERSION}-${messages}`);
  const done = join(dir, 'seeded.json');
  if (existsSync(done)) {
    const seed = JSON.parse(readFileSync(done, 'utf8')) as SeedResult;
    console.log(`cached store: ${seed.messages} messages in ${dir} (seeded in ${(seed.insertMs / 1000).toFixed(0)} s)`);
    return { dir, seed, temporary: fresh };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`seeding ${messages} messages through the transcript import into ${dir} (once; minutes) …`);
  const store = ChatStore.open(dir);
  const seed = seedHistory(store, messages, longChat, (n) => process.stdout.write(`\r  ${n} messages`));
  store.dispose();
  process.stdout.write('\n');
  writeFileSync(done, JSON.stringify(seed));
  console.log(`inserted ${seed.messages} messages in ${(seed.insertMs / 1000).toFixed(1)} s (${Math.round(seed.messages / (seed.insertMs / 1000))} messages/s)`);
  return { dir, seed, temporary: fresh };
}

interface Timing {
  median: number;
  p95: number;
}

/** Median and p95 of `runs` calls after one warm-up (page cache, prepared statement). */
function time(fn: () => unknown, runs: number): Timing {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(runs / 2)]!, p95: samples[Math.floor(runs * 0.95)]! };
}

/** Run the arms alternately, so load from other processes falls on both alike. */
function interleaved(arms: (() => unknown)[], runs: number): Timing[] {
  const samples = arms.map(() => [] as number[]);
  for (let i = 0; i < 5; i++) arms.forEach((fn) => fn()); // page cache, prepared statements, the JIT
  for (let i = 0; i < runs; i++) {
    arms.forEach((fn, k) => {
      const t = performance.now();
      fn();
      samples[k]!.push(performance.now() - t);
    });
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { median: s[Math.floor(runs / 2)]!, p95: s[Math.floor(runs * 0.95)]! };
  });
}

const ms = (v: number): string => `${v.toFixed(2).padStart(7)} ms`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

function main(): void {
  const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const messages = Number(arg('messages') ?? 1_000_000);
  const longChat = Math.min(100_000, Math.floor(messages / 10));
  const { dir, seed, temporary } = seededDir(messages, longChat, process.argv.includes('--fresh'));
  const store = ChatStore.open(dir);
  const raw = new Database(join(dir, DATABASE_FILE_NAME), { readonly: true });
  try {
    const baselineSearch = raw.prepare(BASELINE_SEARCH_SQL);
    const baselineCount = raw.prepare(BASELINE_COUNT_SQL);

    console.log(`\nsearch over ${seed.messages} messages, first page of 30 (goal < 50 ms for any query; baseline: bm25 over the newest 1 000 matches):`);
    let worst = 0;
    // Typed words (the last one a prefix): common, rare, indexed prefixes (2–3 letters), longer
    // prefixes of a common word ("what") and rare completions of a common prefix ("thez").
    for (const q of ['chameleon', 'giraffe volcano', 'the', 'what', 'what is', 'w1a', 'w1ab', 'saff', 'thez', 'the a of and', 'saffron w1a', 'nosuchwordanywhere', '"AND" OR *']) {
      const match = toFtsQuery(q);
      const [app, base] = interleaved([() => store.search(q, 30), () => (match === undefined ? [] : baselineSearch.all({ match, limit: 30 }))], 9);
      worst = Math.max(worst, app!.p95);
      const hits = store.search(q, 30).length;
      console.log(`  ${JSON.stringify(q).padEnd(22)} app median ${ms(app!.median)} p95 ${ms(app!.p95)}   baseline median ${ms(base!.median)}   ${(base!.median / app!.median).toFixed(1).padStart(6)}× faster   hits ${hits}`);
    }
    console.log(`  slowest p95 ${ms(worst)}: ${(worst / 50).toFixed(2)}× the 50 ms budget (${verdict(worst < 50)})`);

    console.log(`\nchat summary (getConversation), a ${longChat}-message chat vs a 40-message one (goal: independent of length):`);
    const [sumLong, sumShort] = interleaved([() => store.getConversation(seed.longChatId), () => store.getConversation(seed.shortChatId)], 200);
    // Apart: counting 100 000 rows between two summaries would evict what the next one reads.
    const countLong = time(() => baselineCount.get(seed.longChatId), 30);
    console.log(`  long ${ms(sumLong!.median)}   short ${ms(sumShort!.median)}   ratio ${(sumLong!.median / sumShort!.median).toFixed(2)} (goal ≈ 1)   baseline count(*) of the long chat alone ${ms(countLong!.median)}`);

    // What the renderer asks for on opening a chat: its summary and the newest page of 100.
    const open = (id: number) => () => {
      store.getConversation(id);
      return store.getActivePath(id, { limit: 100 });
    };
    const [openLong, openPage] = interleaved([open(seed.longChatId), open(seed.pageChatId)], 30);
    console.log(`\nopening a chat (summary + newest page of 100, as the renderer does):`);
    console.log(`  ${longChat}-message chat ${ms(openLong!.median)} p95 ${ms(openLong!.p95)}   200-message chat ${ms(openPage!.median)}   ratio ${(openLong!.median / openPage!.median).toFixed(2)} (goal ≈ 1)   goal < 100 ms: ${verdict(openLong!.p95 < 100)}`);

    // The 200 KB single-line message: read from the store, then rendered as the renderer does it.
    const window = new JSDOM('').window;
    const md = new MarkdownRenderer(createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]) as unknown as Purifier);
    const openLine = time(() => {
      const page = open(seed.longLineChatId)();
      for (const m of page.items) for (const p of m.parts) if (p.kind === 'text') md.render(p.text);
    }, 15);
    const storeOnly = time(open(seed.longLineChatId), 15);
    console.log(`  the 200 KB single-line message: store + markdown ${ms(openLine.median)} p95 ${ms(openLine.p95)} (store alone ${ms(storeOnly.median)})   goal < 100 ms: ${verdict(openLine.p95 < 100)}`);

    const list = time(() => store.listConversations({ limit: 100 }), 30);
    console.log(`\nconversation list, first page of 100: median ${ms(list.median)}  p95 ${ms(list.p95)}`);
  } finally {
    raw.close();
    store.dispose();
    if (temporary) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
