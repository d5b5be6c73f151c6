// History benchmark (a script, not a test): fills a store through the ChatStore API with 100 000
// messages (one 10 000-message chat plus many ordinary ones), then prints full-text search latency
// (goal < 50 ms) and active-path page loads for the long chat.
//   node test/bench/storeBench.ts [--messages=100000] [--dir=PATH (kept)]
// seedHistory() is exported for the UI benchmark, which needs the same data behind a server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChatStore } from '../../main/store/ChatStore.ts';

const COMMON = 'the a of and to in is it that for on with as you this be are was at or by not but can from have how what'.split(' ');
const TOPICS = 'giraffe volcano glacier sourdough quantum lizard chameleon tokenizer kernel galaxy violin harbor pepper lantern saffron'.split(' ');

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
  messages: number;
  insertMs: number;
}

/** Fill `store` with about `messages` messages: one chat of `longChat` messages, the rest in chats of 40. */
export function seedHistory(store: ChatStore, messages = 100_000, longChat = 10_000): SeedResult {
  const rand = rng(42);
  const started = performance.now();
  let count = 0;
  const chat = (length: number): number => {
    const c = store.createConversation().id;
    let parent: number | null = null;
    for (let i = 0; i < length; i += 2) {
      const q = store.addUserMessage(c, parent, [{ kind: 'text', text: sentence(rand, 8 + Math.floor(rand() * 20)) }]);
      const w = store.beginAssistantMessage(c, q.id, { sampling: { temperature: 0.7, topP: 0.9 }, seed: i });
      for (let k = 0; k < 3; k++) w.append(sentence(rand, 10 + Math.floor(rand() * 40)) + ' ');
      w.finish('complete', { tokens: { prompt: 100 + i, completion: 60 }, timings: { promptMs: 50, firstTokenMs: 60, totalMs: 900, tokensPerSecond: 66 } });
      parent = w.messageId;
      count += 2;
    }
    return c;
  };
  const longChatId = chat(longChat);
  while (count < messages) chat(Math.min(40, messages - count));
  return { longChatId, messages: count, insertMs: performance.now() - started };
}

function time<T>(fn: () => T, runs: number): { median: number; p95: number; max: number; result: T } {
  const samples: number[] = [];
  let result = fn(); // warm the page cache and the statement
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(runs / 2)]!, p95: samples[Math.floor(runs * 0.95)]!, max: samples[runs - 1]!, result };
}

const ms = (v: number): string => `${v.toFixed(2)} ms`;

function main(): void {
  const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const messages = Number(arg('messages') ?? 100_000);
  const keep = arg('dir');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'chameleon-store-bench-'));
  let store = ChatStore.open(dir);
  try {
    const seeded = seedHistory(store, messages);
    console.log(`inserted ${seeded.messages} messages through ChatStore in ${(seeded.insertMs / 1000).toFixed(1)} s (${Math.round(seeded.messages / (seeded.insertMs / 1000))} messages/s, streaming writes included)`);
    // Measure a cold-opened store, as after a relaunch.
    store.dispose();
    store = ChatStore.open(dir);
    const s = store;

    console.log('\nfull-text search over all chats (limit 30; goal < 50 ms):');
    for (const q of ['chameleon', 'giraffe volcano', 'the', 'what is', 'w1a', 'saff', 'nosuchwordanywhere', '"AND" OR *']) {
      const r = time(() => s.search(q, 30), 30);
      console.log(`  ${JSON.stringify(q).padEnd(22)} median ${ms(r.median)}  p95 ${ms(r.p95)}  max ${ms(r.max)}  hits ${r.result.length}`);
    }

    console.log(`\nactive path of the ${seeded.messages >= 10_000 ? '10 000' : 'long'}-message chat:`);
    for (const limit of [50, 200]) {
      const r = time(() => s.getActivePath(seeded.longChatId, { limit }), 30);
      console.log(`  newest page of ${limit}: median ${ms(r.median)}  p95 ${ms(r.p95)}`);
    }
    const whole = time(() => {
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = s.getActivePath(seeded.longChatId, { limit: 500, ...(cursor ? { cursor } : {}) });
        n += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      return n;
    }, 5);
    console.log(`  all ${whole.result} messages in pages of 500: median ${ms(whole.median)}`);
    const list = time(() => s.listConversations({ limit: 50 }), 30);
    console.log(`\nconversation list, first page of 50 (of ${Math.ceil((seeded.messages - 10_000) / 40) + 1}): median ${ms(list.median)}  p95 ${ms(list.p95)}`);
  } finally {
    store.dispose();
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`\nkept ${dir}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
