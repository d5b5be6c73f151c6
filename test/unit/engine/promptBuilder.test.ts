import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLlama, type Llama, type LlamaModel } from 'node-llama-cpp';
import { buildPromptTokens, openAnswerStart, segmentTokens, withInstructions, type TextTokenizer } from '../../../main/engine/promptBuilder.ts';
import { BOI_ID, BOS_ID, EOI_ID, EOS_ID, EOT_ID, IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID } from '../../../main/contract/chameleon.ts';
import type { ChatTurn } from '../../../main/contract/engine.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

// The real tokenizer of the tiny fixture model (65 536-token Chameleon layout, byte-level BPE).
let llama: Llama;
let model: LlamaModel;
let tokenize: TextTokenizer;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never' });
  model = await llama.loadModel({ modelPath: tinyChameleonGguf(), vocabOnly: true });
  tokenize = (text) => model.tokenize(text, false);
});
afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
});

const user = (text: string): ChatTurn => ({ role: 'user', segments: [{ type: 'text', text }] });
const assistant = (text: string): ChatTurn => ({ role: 'assistant', segments: [{ type: 'text', text }] });
const isControl = (id: number): boolean => id < 16384;

describe('buildPromptTokens', () => {
  it('wraps one user turn as BOS + text + EOT', () => {
    const ids = buildPromptTokens([user('hello world')], tokenize);
    expect(ids[0]).toBe(BOS_ID);
    expect(ids.at(-1)).toBe(EOT_ID);
    expect(ids.slice(1, -1)).toEqual([...tokenize('hello world')]);
    expect(ids.slice(1, -1).every((id) => !isControl(id))).toBe(true);
    // Byte-level BPE with merges: fewer tokens than bytes.
    expect(ids.length - 2).toBeLessThan('hello world'.length);
  });

  it('lays out multi-turn history as BOS u1 EOT a1 EOS u2 EOT', () => {
    const u1 = [...tokenize('hi')];
    const a1 = [...tokenize('hello there')];
    const u2 = [...tokenize('thanks')];
    const ids = buildPromptTokens([user('hi'), assistant('hello there'), user('thanks')], tokenize);
    expect(ids).toEqual([BOS_ID, ...u1, EOT_ID, ...a1, EOS_ID, ...u2, EOT_ID]);
  });

  it('leaves an assistant turn that comes last open (no EOS): the model continues that answer', () => {
    const u1 = [...tokenize('hi')];
    const a1 = [...tokenize('hello the')];
    const ids = buildPromptTokens([user('hi'), assistant('hello the')], tokenize);
    expect(ids).toEqual([BOS_ID, ...u1, EOT_ID, ...a1]);
    expect(ids.slice(openAnswerStart(ids))).toEqual(a1);
    // Earlier answers still end with EOS.
    expect(buildPromptTokens([user('hi'), assistant('a'), user('b'), assistant('c')], tokenize).filter((id) => id === EOS_ID)).toHaveLength(1);
  });

  it('puts instructions in front of the first user turn only, a blank line after them', () => {
    const turns = withInstructions([assistant('x'), user('q1'), assistant('a1'), user('q2')], ['Be brief.', '  ', 'Answer in French.']);
    expect(turns[1]).toEqual({ role: 'user', segments: [{ type: 'text', text: 'Be brief.\n\nAnswer in French.\n\n' }, { type: 'text', text: 'q1' }] });
    expect(turns[3]).toEqual(user('q2'));
    expect(withInstructions([user('q')], ['', ' '])).toEqual([user('q')]);
  });

  it('keeps a user typing special or image token names as plain text', () => {
    for (const text of ['<eoss>', 'IMGIMGBZ', '<racm3:break>', '<reserved08706>', '</s>', '<s>']) {
      const ids = buildPromptTokens([user(text)], tokenize).slice(1, -1);
      expect(ids.length).toBeGreaterThan(1);
      expect(ids.some(isControl), text).toBe(false);
      expect(model.detokenize(ids.map((i) => i as never))).toBe(text);
    }
  });

  it('turns an image segment into BOI + 1024 code tokens (code + 4) + EOI, in segment order', () => {
    const codes = Array.from({ length: 1024 }, (_, i) => (i * 37) % 8192);
    const turn: ChatTurn = {
      role: 'user',
      segments: [
        { type: 'text', text: 'look' },
        { type: 'image', codes },
        { type: 'text', text: 'what is it' },
      ],
    };
    const ids = buildPromptTokens([turn], tokenize);
    const look = [...tokenize('look')];
    const after = [...tokenize('what is it')];
    expect(ids.slice(0, 1 + look.length)).toEqual([BOS_ID, ...look]);
    const image = ids.slice(1 + look.length, 1 + look.length + 1026);
    expect(image).toHaveLength(1026);
    expect(image[0]).toBe(BOI_ID);
    expect(image.at(-1)).toBe(EOI_ID);
    expect(image.slice(1, -1)).toEqual(codes.map((c) => c + 4));
    expect(image.slice(1, -1).every((id) => id >= IMAGE_TOKEN_FIRST_ID && id <= IMAGE_TOKEN_LAST_ID)).toBe(true);
    expect(ids.slice(1 + look.length + 1026)).toEqual([...after, EOT_ID]);
    expect(segmentTokens({ type: 'image', codes }, tokenize)).toHaveLength(1026);
  });

  it('reuses the sampled ids of an earlier answer when they are known', () => {
    const sampled = [16500, 16501, 16502];
    const ids = buildPromptTokens([user('hi'), assistant('whatever text'), user('ok')], tokenize, (t) => (t === 'whatever text' ? sampled : undefined));
    const u1 = [...tokenize('hi')];
    expect(ids.slice(1 + u1.length + 1, 1 + u1.length + 1 + sampled.length + 1)).toEqual([...sampled, EOS_ID]);
  });

  it('builds the prompt of a 1 MB text part (no argument spread of its ids; issue 10.8)', () => {
    const text = 'ab, '.repeat(250_000);
    const ids = buildPromptTokens([user(text), assistant(text), user('ok')], tokenize);
    const once = tokenize(text).length;
    expect(once).toBeGreaterThan(200_000);
    expect(ids).toHaveLength(1 + once + 1 + once + 1 + tokenize('ok').length + 1);
  });
});

