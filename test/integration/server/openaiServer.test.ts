// The server end to end: ServerApp (the composition root `npm run serve` uses) on port 0, the real
// engine host process, the tiny Chameleon fixture model, and the official `openai` client.
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CompletionLog } from '../../../main/server/routes/openai.ts';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { writeSettings } from '../../../main/settings/settingsFile.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { rawRequest } from './httpClient.ts';
import { FIXTURES } from '../vqgan/goldenFixtures.ts';

const MAX_BODY = 64 * 1024;
const freshDir = (): string => mkdtempSync(join(tmpdir(), 'chm-server-'));

async function apiErrorOf(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(APIError);
    return err as APIError;
  }
  throw new Error('expected an APIError');
}

describe('OpenAI-compatible server on the tiny model', () => {
  let app: ServerApp;
  let client: OpenAI;
  const completions: CompletionLog[] = [];
  const failures: { method: string; path: string }[] = [];
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${app.apiKey.key}`, host: `127.0.0.1:${app.port}` });
  const post = (body: string | string[], headers: Record<string, string> = {}) =>
    rawRequest({ port: app.port, method: 'POST', path: '/v1/chat/completions', headers: { ...auth(), 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    app = await ServerApp.start({
      dataDir: freshDir(),
      modelPath: tinyChameleonGguf(),
      port: 0,
      env: {},
      maxBodyBytes: MAX_BODY,
      onEvent: (e) => {
        if (e.type === 'completion') completions.push(e.log);
        if (e.type === 'requestFailed') failures.push({ method: e.method, path: e.path });
      },
    });
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: app.apiKey.key, maxRetries: 0 });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('listens on 127.0.0.1 with a generated key and lists the model', async () => {
    expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
    expect(app.port).toBeGreaterThan(0);
    expect(app.apiKey).toMatchObject({ source: 'file', created: true });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([app.model!.id]);
    expect(app.model!.id).toMatch(/^tiny-chameleon-/);
  });

  it('answers a non-streamed completion with usage counts', async () => {
    const r = await client.chat.completions.create({
      model: 'anything',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hello there' },
      ],
      max_tokens: 12,
      seed: 11,
      temperature: 0.8,
      top_p: 0.95,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe(app.model!.id);
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]!.message.role).toBe('assistant');
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage).toMatchObject({ completion_tokens: 12 });
    expect(r.usage!.prompt_tokens).toBeGreaterThan(5);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + 12);
  });

  it('streams the same answer for the same seed, with role chunk, finish reason, usage and [DONE]', async () => {
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'tell me something' }], max_tokens: 16, seed: 5, stop: ['\u0000never'] };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
    expect(text).toBe(whole.choices[0]!.message.content);
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
    expect(finishes).toEqual(['length']);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('ends the raw SSE stream with data: [DONE]', async () => {
    const res = await post(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.text.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('serves two requests at once (they queue in the engine)', async () => {
    const ask = (content: string) => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }], max_tokens: 4 });
    const [a, b] = await Promise.all([ask('first'), ask('second')]);
    expect(a.usage!.completion_tokens).toBe(4);
    expect(b.usage!.completion_tokens).toBe(4);
  });

  it('refuses a wrong or missing key with 401 api.unauthorized', async () => {
    const wrong = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'chm-wrong', maxRetries: 0 });
    const err = await apiErrorOf(wrong.models.list());
    expect(err.status).toBe(401);
    expect(err.code).toBe('api.unauthorized');
    const missing = await rawRequest({ port: app.port, path: '/v1/models', headers: { host: `127.0.0.1:${app.port}` } });
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { code: 'api.unauthorized', type: 'authentication_error' } });
  });

  it('refuses a duplicated Host header and keeps the key out of the failure log', async () => {
    const raw = (text: string): Promise<string> =>
      new Promise((resolve) => {
        let answer = '';
        const socket = netConnect(app.port, '127.0.0.1', () => socket.end(text));
        socket.on('data', (d) => (answer += d.toString('latin1')));
        socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
      });
    // Node keeps the first of two Host headers; a check on it alone would let the second through.
    expect(await raw(`GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nHost: evil.example\r\nAuthorization: Bearer ${app.apiKey.key}\r\nConnection: close\r\n\r\n`)).toBe('HTTP/1.1 400 Bad Request');
    failures.length = 0;
    const r = await rawRequest({ port: app.port, path: '/v1/nothing?key=chm-leaked-key', headers: auth() });
    expect(r.status).toBe(404);
    expect(failures.at(-1)).toMatchObject({ path: '/v1/nothing?key=[redacted]' });
    expect(JSON.stringify(failures)).not.toContain('chm-leaked-key');
  });

  it('refuses foreign Host and Origin headers with 403 (DNS rebinding)', async () => {
    const foreignHost = await rawRequest({ port: app.port, path: '/v1/models', headers: { ...auth(), host: `evil.example:${app.port}` } });
    expect(foreignHost.status).toBe(403);
    expect(foreignHost.json).toMatchObject({ error: { code: 'api.forbiddenOrigin', type: 'permission_error' } });
    const foreignOrigin = await post(JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), { origin: 'http://evil.example' });
    expect(foreignOrigin.status).toBe(403);
    expect(foreignOrigin.json).toMatchObject({ error: { code: 'api.forbiddenOrigin' } });
    const sameOrigin = await rawRequest({ port: app.port, path: '/v1/models', headers: { ...auth(), host: `localhost:${app.port}`, origin: `http://localhost:${app.port}` } });
    expect(sameOrigin.status).toBe(200);
  });

  it('answers malformed JSON and wrong types with an OpenAI-shaped 400', async () => {
    const malformed = await post('{"messages": [');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({ error: { message: expect.stringMatching(/not valid JSON/), type: 'invalid_request_error', code: 'api.badRequest', param: null } });
    const wrongType = await post(JSON.stringify({ messages: [{ role: 'user', content: 'x' }], temperature: 'warm' }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({ error: { code: 'api.badRequest', param: 'temperature', type: 'invalid_request_error' } });
    const empty = await post('');
    expect(empty.status).toBe(400);
    const viaClient = await apiErrorOf(client.chat.completions.create({ model: 'm', messages: [{ role: 'assistant', content: 'no user turn' }] }));
    expect(viaClient.status).toBe(400);
    expect(viaClient.code).toBe('api.badRequest');
    expect(viaClient.param).toBe('messages');
  });

  it('refuses bodies over the limit with 413, whether announced or chunked', async () => {
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY) }] });
    const announced = await post(big);
    expect(announced.status).toBe(413);
    expect(announced.json).toMatchObject({ error: { code: 'api.payloadTooLarge' } });
    const pieces = Array.from({ length: 8 }, () => 'y'.repeat(MAX_BODY / 4));
    const chunked = await post(['{"messages":[{"role":"user","content":"', ...pieces, '"}]}']);
    expect(chunked.status).toBe(413);
    // The server is still fine afterwards.
    expect((await client.models.list()).data).toHaveLength(1);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    const notFound = await rawRequest({ port: app.port, path: '/v1/embeddings', headers: auth() });
    expect(notFound.status).toBe(404);
    expect(notFound.json).toMatchObject({ error: { code: 'api.notFound' } });
    const wrongMethod = await rawRequest({ port: app.port, path: '/v1/chat/completions', headers: auth() });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json).toMatchObject({ error: { code: 'api.methodNotAllowed' } });
  });

  it('refuses image_url parts without VQ-GAN weights (503 image.tokenizerMissing) and remote URLs (400 image.remoteUrl), naming the part', async () => {
    const png = readFileSync(join(FIXTURES, 'inputs', 'gradient.png')).toString('base64');
    const err = await apiErrorOf(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'what is in it?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
      }),
    );
    expect(err.status).toBe(503);
    expect(err.code).toBe('image.tokenizerMissing');
    expect(err.param).toBe('messages[0].content[1].image_url');
    const remote = await apiErrorOf(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }),
    );
    expect(remote.status).toBe(400);
    expect(remote.code).toBe('image.remoteUrl');
    expect(remote.param).toBe('messages[0].content[0].image_url');
  });

  it('answers a prompt over the context with 400 engine.contextOverflow', async () => {
    const err = await apiErrorOf(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'the '.repeat(5000) }], stream: true }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('engine.contextOverflow');
  });

  it('aborts the generation when the client disconnects mid-stream', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a very long story' }], max_tokens: 3000, stream: true });
    let id = '';
    let contentChunks = 0;
    for await (const chunk of stream) {
      id = chunk.id;
      if (chunk.choices[0]?.delta.content) contentChunks++;
      if (contentChunks === 3) break; // leaving the loop aborts the HTTP request
    }
    await vi.waitFor(() => expect(completions.find((c) => c.id === id)).toBeDefined(), { timeout: 60_000, interval: 50 });
    const log = completions.find((c) => c.id === id)!;
    expect(log.result.stopReason).toBe('aborted');
    expect(log.result.usage.completionTokens).toBeLessThan(3000);
  });

  it('reports a killed engine host mid-stream as engine.crashed, and keeps serving', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'keep going' }], max_tokens: 3000, stream: true });
    const hostPid = app.app.engine.hostPid!;
    let received = '';
    const err = await apiErrorOf(
      (async () => {
        let n = 0;
        for await (const chunk of stream) {
          received += chunk.choices[0]?.delta.content ?? '';
          if (++n === 5) process.kill(hostPid, 'SIGKILL');
        }
      })(),
    );
    expect(err.code).toBe('engine.crashed');
    expect(err.message).toMatch(/SIGKILL/);
    expect(received.length).toBeGreaterThan(0);

    const after = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'are you back?' }], max_tokens: 3 });
    expect(after.usage!.completion_tokens).toBe(3);
    expect(app.app.engine.hostPid).not.toBe(hostPid);
  });
});

describe('server without a model', () => {
  it('lists no models and answers completions with 503 api.noModel', async () => {
    const app = await ServerApp.start({ dataDir: freshDir(), port: 0, env: { CHAMELEON_API_KEY: 'k-test' } });
    try {
      expect(app.apiKey).toMatchObject({ key: 'k-test', source: 'env' });
      const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'k-test', maxRetries: 0 });
      expect((await client.models.list()).data).toEqual([]);
      const err = await apiErrorOf(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
      expect(err.status).toBe(503);
      expect(err.code).toBe('api.noModel');
      expect(err.headers?.get('x-should-retry')).toBe('false');
    } finally {
      await app.dispose();
    }
  });

  it('uses the model chosen in the settings file when no --model is given', async () => {
    const dataDir = freshDir();
    await writeSettings(dataDir, { modelPath: tinyChameleonGguf(), contextSize: 1024 });
    const app = await ServerApp.start({ dataDir, port: 0, env: {} });
    try {
      expect(app.startupModelPath).toBe(tinyChameleonGguf());
      const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: app.apiKey.key, maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
      expect(r.usage!.completion_tokens).toBe(2);
      expect(app.app.engine.getStatus().model?.contextSize).toBe(1024);
    } finally {
      await app.dispose();
    }
  });

  it('answers a missing model file with its model.* code', async () => {
    const app = await ServerApp.start({ dataDir: freshDir(), modelPath: join(freshDir(), 'gone.gguf'), port: 0, env: {} });
    try {
      const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: app.apiKey.key, maxRetries: 0 });
      const err = await apiErrorOf(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
      expect(err.status).toBe(503);
      expect(err.code).toBe('model.notFound');
    } finally {
      await app.dispose();
    }
  });
});
