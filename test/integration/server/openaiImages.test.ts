// Image output through the OpenAI-compatible API (issue 12), with the official `openai` client:
// ServerApp on the code-chain fixture (greedy decoding follows a known text + 1024-code path) and
// the narrow VQ-GAN as decoder. /v1/images/generations answers b64_json PNGs, reproducible by seed;
// /v1/chat/completions in interleaved mode answers content parts (text, image_url, text), streamed
// as deltas; sending the image back in a follow-up reuses its codes (no encode).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VqganTokenizer } from '../../../main/images/vqgan/vqgan.ts';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { writeSettings } from '../../../main/settings/settingsFile.ts';
import { CODE_CHAIN_TEXT, codeChain } from '../../fixtures/gguf/codeChain.ts';
import { codeChainGguf, tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { FIXTURES } from '../vqgan/goldenFixtures.ts';

const WEIGHTS = join(FIXTURES, 'narrow', 'weights.safetensors');

async function pixels(png: Uint8Array): Promise<Buffer> {
  return sharp(png).removeAlpha().raw().toBuffer();
}

/** The body fields this server adds to OpenAI's (the client passes unknown fields through). */
type Extra = Record<string, unknown>;

describe('image output through the OpenAI API (code-chain GGUF + narrow VQ-GAN)', () => {
  let app: ServerApp;
  let client: OpenAI;
  let chainPixels: Buffer;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chm-server-img-'));
    await writeSettings(dataDir, { modelPath: codeChainGguf(), contextSize: 4096, vqganWeightsPath: WEIGHTS, threads: 1 });
    app = await ServerApp.start({ dataDir, port: 0, env: {} });
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: app.apiKey.key, maxRetries: 0, timeout: 600_000 });
    const vqgan = await VqganTokenizer.open(WEIGHTS, { threads: 1 });
    chainPixels = await pixels((await vqgan.decodeToPng(Int32Array.from(codeChain()))).png);
    vqgan.dispose();
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('/v1/images/generations: b64_json PNGs of the chain, n images, the seed reported', async () => {
    const r = await client.images.generate({ prompt: 'a red fox in the snow', n: 1, response_format: 'b64_json', size: '512x512', seed: 41, temperature: 0 } as OpenAI.ImageGenerateParamsNonStreaming & Extra);
    expect(r.data).toHaveLength(1);
    const png = Buffer.from(r.data![0]!.b64_json!, 'base64');
    expect((await pixels(png)).equals(chainPixels)).toBe(true);
    expect((r.data![0] as Extra).seed).toBe(41);
    // What it cannot honour is refused by name.
    const bad = (await client.images.generate({ prompt: 'x', response_format: 'url' }).catch((e: unknown) => e)) as APIError;
    expect(bad).toBeInstanceOf(APIError);
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/response_format/);
  });

  it('/v1/chat/completions interleaved: content parts in order, non-streamed and streamed; a follow-up reuses the codes', async () => {
    const body = { model: 'm', messages: [{ role: 'user' as const, content: 'explain with a picture' }], temperature: 0, seed: 3, mode: 'interleaved', image_sampling: { temperature: 0 } };
    const r = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const content = r.choices[0]!.message.content as unknown as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    expect(content.map((p) => p.type)).toEqual(['text', 'image_url', 'text']);
    expect(content[0]!.text).toBe(CODE_CHAIN_TEXT.before);
    expect(content[2]!.text).toBe(CODE_CHAIN_TEXT.after);
    const url = content[1]!.image_url!.url;
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect((await pixels(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'))).equals(chainPixels)).toBe(true);
    expect(r.usage!.completion_tokens).toBeGreaterThan(1026);

    const stream = await client.chat.completions.create({ ...body, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
    const deltas: unknown[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content !== undefined) deltas.push(chunk.choices[0].delta.content);
    const images = deltas.filter((d) => Array.isArray(d)) as Array<Array<{ type: string; image_url: { url: string } }>>;
    expect(images).toHaveLength(1);
    expect(images[0]![0]!.image_url.url).toBe(url);
    expect(deltas.filter((d) => typeof d === 'string').join('')).toBe(CODE_CHAIN_TEXT.before + CODE_CHAIN_TEXT.after);
    expect(deltas.findIndex((d) => Array.isArray(d))).toBeGreaterThan(deltas.indexOf(CODE_CHAIN_TEXT.before));

    // The image sent back as the assistant's: its codes from the codes cache, nothing encoded.
    const encodes = app.app.images.encodes;
    const follow = await client.chat.completions.create({
      model: 'm',
      messages: [...body.messages, { role: 'assistant', content: content as never }, { role: 'user', content: 'thanks' }],
      max_tokens: 2,
    });
    expect(follow.choices[0]!.message.content).toEqual(expect.any(String));
    expect(app.app.images.encodes).toBe(encodes);
  });

  it('a model without image aliases refuses to draw, by code', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chm-server-img-'));
    await writeSettings(dataDir, { modelPath: tinyChameleonGguf(), contextSize: 1024, vqganWeightsPath: WEIGHTS });
    const text = await ServerApp.start({ dataDir, port: 0, env: {} });
    try {
      const c = new OpenAI({ baseURL: `${text.url}/v1`, apiKey: text.apiKey.key, maxRetries: 0 });
      const err = (await c.images.generate({ prompt: 'x' }).catch((e: unknown) => e)) as APIError;
      expect(err.status).toBe(503);
      expect(err.code).toBe('model.noImageOutput');
    } finally {
      await text.dispose();
    }
  });
});
