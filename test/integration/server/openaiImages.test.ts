// The official `openai` client sends an image_url (data URL) to `npm run serve`'s composition root
// (ServerApp) with the tiny Chameleon GGUF and the narrow VQ-GAN fixture, and gets a streamed
// answer; after a server restart the same image is answered from the codes cache (no encode).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { writeSettings } from '../../../main/settings/settingsFile.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { FIXTURES } from '../vqgan/goldenFixtures.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'chm-serve-images-'));
const photo = `data:image/jpeg;base64,${readFileSync(join(FIXTURES, 'inputs', 'photo.jpg')).toString('base64')}`;

async function askAboutPhoto(app: ServerApp): Promise<{ text: string; chunks: number; promptTokens: number }> {
  const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: app.apiKey.key, maxRetries: 0 });
  const stream = await client.chat.completions.create({
    model: 'chameleon',
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 6,
    seed: 3,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this photo?' }, { type: 'image_url', image_url: { url: photo } }] }],
  });
  let text = '';
  let chunks = 0;
  let promptTokens = 0;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.usage) promptTokens = chunk.usage.prompt_tokens;
  }
  return { text, chunks, promptTokens };
}

describe('image_url through the local server', () => {
  let app: ServerApp | undefined;
  afterAll(async () => {
    await app?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams an answer about a data-URL image, then answers it again after a restart without encoding', async () => {
    await writeSettings(dataDir, { modelPath: tinyChameleonGguf(), vqganWeightsPath: join(FIXTURES, 'narrow', 'weights.safetensors') });
    app = await ServerApp.start({ dataDir, port: 0, env: {} });
    const first = await askAboutPhoto(app);
    expect(first.chunks).toBeGreaterThan(1);
    expect(first.text.length).toBeGreaterThan(0);
    // BOS + text + 1026 image tokens + EOT
    expect(first.promptTokens).toBeGreaterThan(1026 + 2);
    expect(app.app.images.encodes).toBe(1);
    await app.dispose();

    app = await ServerApp.start({ dataDir, port: 0, env: {} });
    const second = await askAboutPhoto(app);
    expect(second.promptTokens).toBe(first.promptTokens);
    expect(second.text).toBe(first.text); // same prompt, same seed
    expect(app.app.images.encodes).toBe(0);
  });
});
