// The vLLM adapter against a recorded exchange served by a real HTTP server on 127.0.0.1 (vLLM
// itself needs a GPU; see the recording's "about" and the README for what this does not verify).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOI_ID, BOS_ID, EOI_ID, EOT_ID } from '../../../main/contract/chameleon.ts';
import { GenerateRequestSchema, type ChatTurn, type GenerationEvent } from '../../../main/contract/engine.ts';
import { VllmEngine } from '../../../main/engine/remote/vllmEngine.ts';
import { codeOf } from '../../fixtures/testKit.ts';
import { startReplayServer, type ReplayServer } from '../../fixtures/remote/replayServer.ts';

const recording = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'fixtures', 'remote', 'vllm-exchange.json');
const codes = Array.from({ length: 1024 }, (_, i) => (i * 37) % 8192);
const turns: ChatTurn[] = [{ role: 'user', segments: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image', codes }] }];
const request = GenerateRequestSchema.parse({ sessionId: 'v', turns, sampling: { temperature: 0.7, topP: 0.9, topK: 0, repeatPenalty: 1.2, maxTokens: 64, seed: 11 } });

describe('vLLM adapter on a recorded exchange', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await startReplayServer(recording);
  });
  afterAll(async () => {
    await server.close();
  });

  it('recognises Chameleon by its special and image token ids and reads the context length', async () => {
    const model = await new VllmEngine({ baseUrl: server.baseUrl }).probe();
    expect(model).toMatchObject({ id: 'facebook/chameleon-7b', contextSize: 4096, imageInput: 'tokenIds' });
    expect(model.ignoredSampling.length).toBeGreaterThan(0);
  });

  it('sends our exact token-id prompt with the image as VQ-GAN codes and maps sampling, stop ids and the ban', async () => {
    const engine = new VllmEngine({ baseUrl: server.baseUrl });
    const events: GenerationEvent[] = [];
    const result = await engine.generate(request, { onEvent: (e) => events.push(e) });
    const sent = server.received.filter((r) => r.path === '/v1/completions').at(-1)!.body as Record<string, unknown>;
    const text = [20311, 16786, 16549, 16825, 21043, 16414];
    expect(sent.prompt).toEqual([BOS_ID, ...text, BOI_ID, ...codes.map((c) => c + 4), EOI_ID, EOT_ID]);
    expect(sent).toMatchObject({ temperature: 0.7, top_p: 0.9, top_k: -1, min_p: 0, repetition_penalty: 1.2, seed: 11, max_tokens: 64, stop_token_ids: [2, 8710] });
    const bias = sent.logit_bias as Record<string, number>;
    expect(Object.keys(bias)).toHaveLength(16384 - 2);
    expect(bias['4']).toBe(-100);
    expect(bias['2']).toBeUndefined();
    expect(result).toMatchObject({ text: 'A red apple.', stopReason: 'endOfTurn', tokens: [16431, 17523, 24587, 16398], usage: { promptTokens: 1034, completionTokens: 4 } });
    expect(events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.text : '')).join('')).toBe('A red apple.');
    // The next prompt repeats the sampled ids, not a re-tokenization of the text.
    // A last assistant turn is left open (Continue carries on from it), so no </s> follows.
    const next = await engine.promptTokens([...turns, { role: 'assistant', segments: [{ type: 'text', text: result.text }] }]);
    const first = sent.prompt as number[];
    expect(next).toEqual([...first, 16431, 17523, 24587, 16398]);
  });

  it('says remote.disconnected when the stream breaks before the answer ends', async () => {
    const engine = new VllmEngine({ baseUrl: server.baseUrl });
    await engine.probe();
    server.cutStreamAfter(2);
    const deltas: string[] = [];
    const err = engine.generate(request, { onEvent: (e) => e.type === 'delta' && deltas.push(e.text) });
    expect(await codeOf(err)).toBe('remote.disconnected');
    expect(deltas.join('')).toBe('A red');
  });

  it('says remote.unauthorized for a refused key and sends the key as a bearer token', async () => {
    server.requireKey('k-123');
    try {
      expect(await codeOf(new VllmEngine({ baseUrl: server.baseUrl, apiKey: 'wrong' }).probe())).toBe('remote.unauthorized');
      await new VllmEngine({ baseUrl: server.baseUrl, apiKey: 'k-123' }).probe();
      expect(server.received.at(-1)?.authorization).toBe('Bearer k-123');
    } finally {
      server.requireKey('');
    }
  });
});
