// response_format and logprobs through the OpenAI API on the real engine (tiny random-weight
// model): the grammar holds the sampled text to the schema whatever the weights, and the reported
// log-probabilities are those of the tokens that make up the answer.
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { useTempDirs } from '../../fixtures/testKit.ts';

const freshDir = useTempDirs('chm-structured');

describe('structured output and logprobs over /v1/chat/completions', () => {
  let app: ServerApp;
  let client: OpenAI;
  beforeAll(async () => {
    app = await ServerApp.start({ dataDir: freshDir(), modelPath: tinyChameleonGguf(), port: 0, env: {} });
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: app.apiKey.key, maxRetries: 0 });
  });
  afterAll(async () => app?.dispose());

  const ask = { model: 'chameleon', messages: [{ role: 'user' as const, content: 'Pick a colour.' }] };

  it('json_schema: the answer is JSON matching the schema, for several seeds', async () => {
    const schema = {
      type: 'object',
      properties: { colour: { enum: ['red', 'green', 'blue'] }, bright: { type: 'boolean' } },
      required: ['colour', 'bright'],
      additionalProperties: false,
    };
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({ ...ask, seed, max_tokens: 200, response_format: { type: 'json_schema', json_schema: { name: 'pick', schema } } });
      const text = r.choices[0]!.message.content!;
      expect(r.choices[0]!.finish_reason, text).toBe('stop');
      const value = JSON.parse(text) as { colour: string; bright: boolean };
      expect(Object.keys(value).sort()).toEqual(['bright', 'colour']);
      expect(['red', 'green', 'blue']).toContain(value.colour);
      expect(typeof value.bright).toBe('boolean');
    }
  });

  it('json_object: the answer opens a JSON object, streamed too', async () => {
    const stream = await client.chat.completions.create({ ...ask, seed: 4, max_tokens: 48, stream: true, response_format: { type: 'json_object' } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.trimStart().startsWith('{')).toBe(true);
  });

  it('logprobs: one per answer token, the tokens spell the answer, alternatives ranked', async () => {
    const r = await client.chat.completions.create({ ...ask, seed: 5, max_tokens: 12, temperature: 1, logprobs: true, top_logprobs: 3 });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content.length).toBe(r.usage!.completion_tokens);
    expect(content.map((t) => t.token).join('')).toBe(r.choices[0]!.message.content);
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.bytes).toEqual([...Buffer.from(t.token, 'utf8')]);
      expect(t.top_logprobs.length).toBeLessThanOrEqual(3);
      const ranked = t.top_logprobs.map((a) => a.logprob);
      expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
      // The sampled token is in the distribution it was drawn from: never more likely than the best alternative.
      if (ranked.length > 0) expect(t.logprob).toBeLessThanOrEqual(ranked[0]! + 1e-9);
    }

    const stream = await client.chat.completions.create({ ...ask, seed: 5, max_tokens: 12, temperature: 1, logprobs: true, top_logprobs: 3, stream: true });
    let text = '';
    const tokens: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      for (const t of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(t.token);
    }
    expect(tokens.join('')).toBe(text);
    expect(text).toBe(r.choices[0]!.message.content);
  });

  it('refuses a schema the grammar cannot express with a 400 naming response_format', async () => {
    const err = await client.chat.completions
      .create({ ...ask, max_tokens: 4, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', patternProperties: { '^a': { type: 'string' } } } } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(400);
  });
});
