import { describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { IMAGE_CODES_PER_IMAGE } from '../../../main/contract/chameleon.ts';
import type { PromptSegment } from '../../../main/contract/engine.ts';
import { messagesToTurns, parseChatCompletionRequest, toOutputOptions, toSampling, type ImageInput } from '../../../main/server/openai/chatRequest.ts';
import { DEFAULT_SETTINGS } from '../../../main/settings/settingsSchema.ts';
import { errorOf as asyncErrorOf } from '../../fixtures/testKit.ts';

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an error');
}


const parse = (body: unknown) => parseChatCompletionRequest(body);
const turnsOf = async (messages: unknown, imageInput?: ImageInput) =>
  messagesToTurns(parse({ model: 'm', messages }).messages, imageInput);

describe('parseChatCompletionRequest', () => {
  it('accepts what the openai client sends, ignoring unknown fields', () => {
    const r = parse({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      top_p: 0.5,
      max_tokens: 10,
      seed: 3,
      stop: ['x'],
      frequency_penalty: 0,
      user: 'someone',
    });
    expect(r).toMatchObject({ stream: true, temperature: 0.2, top_p: 0.5, max_tokens: 10, seed: 3, stop: ['x'] });
  });

  it('refuses tools and functions with a 400 naming the param, and maps response_format and logprobs onto the engine', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const refused: [Record<string, unknown>, string][] = [
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools'],
      [{ tool_choice: 'auto' }, 'tool_choice'],
      [{ functions: [{ name: 'f' }] }, 'functions'],
      [{ function_call: 'auto' }, 'function_call'],
      [{ response_format: { type: 'xml' } }, 'response_format.type'],
      [{ top_logprobs: 5 }, 'top_logprobs'],
      [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    ];
    for (const [extra, param] of refused) {
      const err = errorOf(() => parse({ ...base, ...extra }));
      expect(err.code, param).toBe('api.badRequest');
      expect(err.details, param).toEqual({ param });
    }
    // What changes nothing is accepted and asks nothing of the engine.
    expect(toOutputOptions(parse({ ...base, tools: [], tool_choice: 'none', response_format: { type: 'text' }, logprobs: false, top_logprobs: null }))).toEqual({});
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    expect(toOutputOptions(parse({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }))).toEqual({ format: { type: 'jsonSchema', schema } });
    expect(toOutputOptions(parse({ ...base, response_format: { type: 'json_object' }, logprobs: true, top_logprobs: 3 }))).toEqual({ format: { type: 'jsonObject' }, logprobs: 3 });
    expect(toOutputOptions(parse({ ...base, logprobs: true }))).toEqual({ logprobs: 0 });
  });

  it('answers wrong types with api.badRequest naming the param as OpenAI does', () => {
    const cases: [unknown, string | null][] = [
      [{ messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' }, 'temperature'],
      [{ messages: [{ role: 'user', content: 'hi' }], temperature: 3 }, 'temperature'],
      [{ messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }, 'max_tokens'],
      [{ messages: [{ role: 'user', content: 'hi' }], seed: 1.5 }, 'seed'],
      [{ messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'n'],
      [{ messages: [{ role: 'user', content: 'hi' }], stop: [''] }, 'stop'],
      [{ messages: [] }, 'messages'],
      [{ messages: 'hi' }, 'messages'],
      [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
      [{ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'audio' }] }] }, 'messages[1].content'],
      [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 'messages[0].content'],
      [null, null],
      [[1, 2], null],
    ];
    for (const [body, param] of cases) {
      const err = errorOf(() => parse(body));
      expect(err.code, JSON.stringify(body)).toBe('api.badRequest');
      if (param === null) expect(err.details?.param).toBeNull();
      else expect(String(err.details?.param), JSON.stringify(body)).toMatch(new RegExp(`^${param.replace(/[[\].]/g, '\\$&')}`));
    }
  });
});

describe('messagesToTurns', () => {
  it('maps a plain conversation onto user/assistant turns', async () => {
    expect(
      await turnsOf([
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi there' },
        { role: 'user', content: [{ type: 'text', text: 'how ' }, { type: 'text', text: 'are you' }] },
      ]),
    ).toEqual([
      { role: 'user', segments: [{ type: 'text', text: 'hello' }] },
      { role: 'assistant', segments: [{ type: 'text', text: 'hi there' }] },
      { role: 'user', segments: [{ type: 'text', text: 'how are you' }] },
    ]);
  });

  it('prepends system and developer messages to the next user message', async () => {
    expect(
      await turnsOf([
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use English.' }] },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi' },
        { role: 'system', content: 'Now be verbose.' },
        { role: 'user', content: 'again' },
      ]),
    ).toEqual([
      { role: 'user', segments: [{ type: 'text', text: 'Be brief.\n\nUse English.\n\nhello' }] },
      { role: 'assistant', segments: [{ type: 'text', text: 'hi' }] },
      { role: 'user', segments: [{ type: 'text', text: 'Now be verbose.\n\nagain' }] },
    ]);
  });

  it('merges consecutive messages of one role with a blank line', async () => {
    expect(
      await turnsOf([
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ]),
    ).toEqual([{ role: 'user', segments: [{ type: 'text', text: 'one\n\ntwo' }] }]);
  });

  it('merges a message of 300 000 parts into the one before it (no argument spread; issue 10.8)', async () => {
    const parts = Array.from({ length: 300_000 }, () => ({ type: 'text', text: 'a' }));
    const turns = await turnsOf([
      { role: 'user', content: 'one' },
      { role: 'user', content: parts },
    ]);
    expect(turns).toEqual([{ role: 'user', segments: [{ type: 'text', text: `one\n\n${'a'.repeat(300_000)}` }] }]);
  });

  it('requires the conversation to end with a user message', async () => {
    for (const messages of [
      [{ role: 'system', content: 'only a system prompt' }],
      [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }],
      [{ role: 'user', content: 'q' }, { role: 'system', content: 'late' }],
    ]) {
      const err = await asyncErrorOf(turnsOf(messages));
      expect(err.code).toBe('api.badRequest');
      expect(err.details?.param).toBe('messages');
    }
  });

  it('answers image parts with image.inputUnavailable naming the part', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }];
    const err = await asyncErrorOf(turnsOf(messages));
    expect(err.code).toBe('image.inputUnavailable');
    expect(err.details?.param).toBe('messages[0].content[1].image_url');
  });

  it('passes image parts through an ImageInput as image segments, in order', async () => {
    const codes = Array.from({ length: IMAGE_CODES_PER_IMAGE }, (_, i) => i % 8192);
    const urls: string[] = [];
    const input: ImageInput = (url) => {
      urls.push(url);
      const segment: PromptSegment = { type: 'image', codes };
      return Promise.resolve(segment);
    };
    const turns = await turnsOf(
      [{ role: 'user', content: [{ type: 'text', text: 'compare ' }, { type: 'image_url', image_url: { url: 'u1' } }, { type: 'text', text: ' and ' }, { type: 'image_url', image_url: { url: 'u2' } }] }],
      input,
    );
    expect(urls).toEqual(['u1', 'u2']);
    expect(turns[0]!.segments.map((s) => s.type)).toEqual(['text', 'image', 'text', 'image']);
  });
});

describe('toSampling', () => {
  const defaults = DEFAULT_SETTINGS.sampling;
  it('fills what the request leaves out from the settings defaults', () => {
    expect(toSampling(parse({ messages: [{ role: 'user', content: 'x' }] }), defaults)).toEqual({
      temperature: 0.7,
      topP: 0.9,
      topK: 0,
      repeatPenalty: 1.2,
      maxTokens: 1024,
    });
  });
  it('maps OpenAI names, prefers max_completion_tokens, wraps seeds to 32 bits and wraps a single stop string', () => {
    const r = parse({
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0,
      top_p: 0.3,
      max_tokens: 5,
      max_completion_tokens: 7,
      seed: -1,
      stop: 'END',
      top_k: 40,
      repetition_penalty: 1,
    });
    expect(toSampling(r, defaults)).toEqual({ temperature: 0, topP: 0.3, topK: 40, repeatPenalty: 1, maxTokens: 7, seed: 0xffffffff, stop: ['END'] });
    expect(toSampling(parse({ messages: [{ role: 'user', content: 'x' }], seed: 2 ** 32 + 5, max_tokens: 9 }), defaults)).toMatchObject({ seed: 5, maxTokens: 9 });
    // llama.cpp's min_p extension reaches the sampler; out of range is a 400 naming it.
    expect(toSampling(parse({ messages: [{ role: 'user', content: 'x' }], min_p: 0.05 }), defaults)).toMatchObject({ minP: 0.05 });
    expect(toSampling(parse({ messages: [{ role: 'user', content: 'x' }] }), defaults)).not.toHaveProperty('minP');
    expect(() => parse({ messages: [{ role: 'user', content: 'x' }], min_p: 2 })).toThrow(/min_p/);
    expect(toSampling(parse({ messages: [{ role: 'user', content: 'x' }], top_p: 0 }), defaults).topP).toBeGreaterThan(0);
  });
});
