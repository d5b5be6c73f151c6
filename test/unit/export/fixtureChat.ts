// The fixture chat every export test uses: markdown, code, a long answer, CJK, Arabic, emoji,
// HTML-looking model output, two real PNG images, a regenerated answer (a second branch), a
// stopped answer and one with an error; sampling, seed, model identity, tokens and timings.
import sharp from 'sharp';
import type { Message } from '../../../main/contract/chat.ts';
import type { ChatStore } from '../../../main/store/ChatStore.ts';

export const HOSTILE = `Here is markup: <script>window.pwned = 1</script> and <img src=x onerror="window.pwned = 2"> and <a href="javascript:alert(1)">x</a> <iframe src="https://example.com/"></iframe> <link rel=stylesheet href="https://example.com/x.css">`;
export const CJK = '你好，世界！これは日本語です。한국어도 있습니다。';
export const ARABIC = 'مرحبا بالعالم، هذا نص عربي.';
export const EMOJI = 'Emoji: 🦎🎨🚀 👩‍💻';
export const CODE = 'def greet(name):\n    # say hello\n    return f"Hello, {name}!" * 2';
export const MARKDOWN_ANSWER = `# Answer\n\nSome **bold**, some *italic* and \`inline code\`.\n\n- first\n- second\n\n1. one\n2. two\n\n> quoted\n\n\`\`\`python\n${CODE}\n\`\`\`\n\nA [link](https://example.com/docs) that must not be fetched.`;
export const LONG_ANSWER = Array.from(
  { length: 120 },
  (_, i) =>
    `Paragraph ${i + 1}: the lizard changes colour to match the rocks, and this sentence is long enough to wrap.`,
).join('\n\n');
export const SAMPLING = { temperature: 0.7, topP: 0.9, topK: 40, repeatPenalty: 1.1, maxTokens: 512 };
export const MODEL = {
  fileName: 'chameleon-7b-q4_k_m.gguf',
  sizeBytes: 4_100_000_000,
  sha256: 'a'.repeat(64),
};
/** A remote engine answered these (issue 13): the transcript carries who did. */
export const ENGINE = { kind: 'llamaCppServer' as const, name: 'Lab cluster', model: 'chameleon-30b-Q4_K_M.gguf' };

export async function fixturePng(
  colour: { r: number; g: number; b: number },
  width = 64,
  height = 48,
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

function answer(
  store: ChatStore,
  conversationId: number,
  parentId: number,
  text: string,
  seed: number,
  status: 'complete' | 'stopped' = 'complete',
): Message {
  const w = store.beginAssistantMessage(conversationId, parentId, { sampling: SAMPLING, seed, model: MODEL, engine: ENGINE });
  w.append(text);
  const m = w.finish(status, {
    tokens: { prompt: 40 + seed, completion: 100 + seed },
    timings: { promptMs: 12.5, firstTokenMs: 30.25, totalMs: 900.5, tokensPerSecond: 21.75 },
    seed,
  });
  if (!m) throw new Error('answer vanished');
  return m;
}

export interface FixtureChat {
  conversationId: number;
  imageHashes: string[];
  /** The assistant message that was regenerated (the first answer, now on a side branch). */
  sideBranchAnswer: Message;
}

export async function buildFixtureChat(store: ChatStore): Promise<FixtureChat> {
  const red = await fixturePng({ r: 220, g: 30, b: 30 });
  const blue = await fixturePng({ r: 20, g: 60, b: 200 }, 40, 40);
  const a = store.images.put(red, { mime: 'image/png', width: 64, height: 48 });
  const b = store.images.put(blue, { mime: 'image/png', width: 40, height: 40 });
  const c = store.createConversation();
  const u1 = store.addUserMessage(c.id, null, [
    { kind: 'text', text: 'Describe these two images, please.' },
    { kind: 'image', imageHash: a.sha256, mime: 'image/png', width: 64, height: 48 },
    { kind: 'text', text: 'and this one:' },
    { kind: 'image', imageHash: b.sha256, mime: 'image/png', width: 40, height: 40 },
  ]);
  const first = answer(store, c.id, u1.id, 'A red rectangle and a blue square (first try).', 1);
  const a1 = answer(store, c.id, u1.id, MARKDOWN_ANSWER, 2);
  const u2 = store.addUserMessage(c.id, a1.id, [
    { kind: 'text', text: `Now in other scripts: ${CJK} ${ARABIC} ${EMOJI}` },
  ]);
  const a2 = answer(store, c.id, u2.id, `${CJK}\n\n${ARABIC}\n\n${EMOJI}`, 3);
  const u3 = store.addUserMessage(c.id, a2.id, [{ kind: 'text', text: 'Show me some HTML <b>please</b>' }]);
  const a3 = answer(store, c.id, u3.id, HOSTILE, 4, 'stopped');
  const u4 = store.addUserMessage(c.id, a3.id, [{ kind: 'text', text: 'Write a long story.' }]);
  const a4 = answer(store, c.id, u4.id, LONG_ANSWER, 5);
  const u5 = store.addUserMessage(c.id, a4.id, [{ kind: 'text', text: 'One more?' }]);
  const w = store.beginAssistantMessage(c.id, u5.id, { sampling: SAMPLING, model: MODEL });
  w.append('Partial answer before the fail');
  w.fail({ code: 'engine.contextOverflow', message: 'The context is full.' });
  store.renameConversation(c.id, 'Lizards & <colours> — 蜥蜴');
  return { conversationId: c.id, imageHashes: [a.sha256, b.sha256], sideBranchAnswer: first };
}
