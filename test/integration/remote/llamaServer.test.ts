// The llama-server adapter against the real llama-server (and rpc-server) built from the llama.cpp
// node-llama-cpp ships (test/tools/llamaCppTools.ts), on the tiny random-weight fixture, on
// 127.0.0.1. Skipped only where the tools are not built; CI builds them and requires them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_TOKEN_FIRST_ID, IMAGE_TOKEN_LAST_ID } from '../../../main/contract/chameleon.ts';
import type { ChatTurn, GenerateRequest } from '../../../main/contract/engine.ts';
import { GenerateRequestSchema } from '../../../main/contract/engine.ts';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { LlamaServerEngine } from '../../../main/engine/remote/llamaServerEngine.ts';
import { textOnlyBannedIds } from '../../../main/engine/remote/remoteAdapter.ts';
import { noImageVocabularyGguf, tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { codeOf, useTempDirs } from '../../fixtures/testKit.ts';
import { llamaTools, savedSlotTokens, startLlamaServer, startRpcServer, type ToolProcess } from '../../tools/llamaServerProcess.ts';

const tools = llamaTools();
const user = (text: string): ChatTurn => ({ role: 'user', segments: [{ type: 'text', text }] });
const assistant = (text: string): ChatTurn => ({ role: 'assistant', segments: [{ type: 'text', text }] });
const codes = Array.from({ length: 1024 }, (_, i) => (i * 2654435761) % 8192);
const imageTurn: ChatTurn = { role: 'user', segments: [{ type: 'text', text: 'Look at this picture:' }, { type: 'image', codes }, { type: 'text', text: 'what do you see in it?' }] };
const greedy = { temperature: 0, topP: 1, topK: 0, repeatPenalty: 1, maxTokens: 24, seed: 1 };
const request = (turns: ChatTurn[], sampling: object = greedy): GenerateRequest => GenerateRequestSchema.parse({ sessionId: 'remote', turns, sampling });

describe.skipIf(!tools)('llama-server as a remote engine', () => {
  let server: ToolProcess;
  let slotDir: string;
  const tempDir = useTempDirs('llama-server-slots');
  const local = new EngineClient({ launcher: forkLauncher() });

  beforeAll(async () => {
    slotDir = tempDir();
    server = await startLlamaServer({ model: tinyChameleonGguf(), slotSavePath: slotDir });
    await local.load({ modelPath: tinyChameleonGguf(), contextSize: 4096, threads: 1 });
  });
  afterAll(async () => {
    await server?.stop();
    await local.dispose();
  });

  /**
   * The same greedy answer asked of both engines, as token ids. llama-server's chat parser refuses
   * every /completion reply (streamed or not) whose text is not valid UTF-8 so far, which the random
   * model's answers soon are, so its ids are read from where the server keeps them: the slot's cache,
   * saved through /slots. The prompt is the adapter's ids (an image as our VQ-GAN's codes), the
   * sampling greedy with the adapter's text-only ban; the cache holds each token the server
   * evaluated, so one more is asked for (the last sampled one is never evaluated).
   */
  async function greedyIdsBothWays(turns: ChatTurn[]): Promise<{ prompt: number[]; localIds: number[]; remoteIds: number[] }> {
    const remote = new LlamaServerEngine({ baseUrl: server.baseUrl });
    const prompt = await remote.promptTokens(turns);
    expect(prompt).toEqual(await local.promptTokens(turns));
    const here = await local.generate(request(turns));
    const next = [...turns, assistant(here.text), user('and?')];
    const localIds = (await local.promptTokens(next)).slice(prompt.length, prompt.length + here.usage.completionTokens);
    expect(localIds).toHaveLength(greedy.maxTokens);
    const body = { prompt, stream: false, cache_prompt: true, n_predict: greedy.maxTokens + 1, temperature: 0, top_k: 0, top_p: 1, min_p: 0, repeat_penalty: 1, seed: 1, logit_bias: textOnlyBannedIds().map((id) => [id, false]) };
    const reply = await fetch(`${server.baseUrl}/completion`, { method: 'POST', body: JSON.stringify(body) });
    console.log(`[equivalence] /completion answered ${reply.status}: ${(await reply.text()).slice(0, 160)}`);
    const cached = await savedSlotTokens(server, slotDir);
    expect(cached.slice(0, prompt.length)).toEqual(prompt);
    return { prompt, localIds, remoteIds: cached.slice(prompt.length, prompt.length + greedy.maxTokens) };
  }

  it('recognises a Chameleon model by its vocabulary and special-token ids', async () => {
    const model = await new LlamaServerEngine({ baseUrl: server.baseUrl }).probe();
    expect(model).toMatchObject({ vocabularySize: 65536, contextSize: 4096, imageInput: 'tokenIds', ignoredSampling: [] });
    expect(model.id).toMatch(/tiny-chameleon/);
  });

  it('builds the same prompt ids as the local engine for text and an image', async () => {
    const remote = new LlamaServerEngine({ baseUrl: server.baseUrl });
    const turns = [user('hello there'), assistant('general kenobi'), imageTurn];
    expect(await remote.promptTokens(turns)).toEqual(await local.promptTokens(turns));
  });

  it('answers greedily with exactly the tokens of the local engine', async () => {
    // Both engines run the CPU kernels the app picks (flash attention off). The random model's
    // greedy answer soon holds a token that is not whole UTF-8, which llama-server's chat parser
    // refuses, so the ids are read from the server's slot cache, as after an image (next test).
    const turns = [user('hello over there')];
    const { localIds, remoteIds } = await greedyIdsBothWays(turns);
    console.log(`[equivalence] local ${JSON.stringify(localIds)} remote ${JSON.stringify(remoteIds)}`);
    expect(remoteIds).toEqual(localIds);
  });

  it('answers greedily with exactly the tokens of the local engine after an image too', async () => {
    const { prompt, localIds, remoteIds } = await greedyIdsBothWays([imageTurn]);
    expect(prompt.filter((id) => id >= IMAGE_TOKEN_FIRST_ID && id <= IMAGE_TOKEN_LAST_ID)).toHaveLength(codes.length);
    console.log(`[equivalence+image] prompt ${prompt.length} ids (1024 image codes), local ${JSON.stringify(localIds)} remote ${JSON.stringify(remoteIds)}`);
    expect(remoteIds).toEqual(localIds);
  });

  it('reports llama-server stopping an answer whose bytes are not valid UTF-8 as a coded error (its chat parser; the random model after an image)', async () => {
    // This llama-server runs every streamed token through its chat parser, which refuses invalid
    // UTF-8 and ends the stream with an error packet. The random-weight model's first greedy token
    // after an image is such a byte; the failure is coded, not a hang or a crash (the tokens
    // themselves are compared through the slot cache, test above).
    const remote = new LlamaServerEngine({ baseUrl: server.baseUrl });
    expect(await codeOf(remote.generate(request([imageTurn])))).toBe('remote.badResponse');
  });

  it('gives the same answer for the same seed with sampling on, and keeps it across turns', async () => {
    const remote = new LlamaServerEngine({ baseUrl: server.baseUrl });
    const sampled = { temperature: 0.7, topP: 0.9, topK: 0, repeatPenalty: 1.2, maxTokens: 4, seed: 1234 };
    // A prompt whose sampled answer is whole UTF-8 (llama-server's chat parser refuses others).
    const a = await remote.generate(request([user('good morning')], sampled));
    const b = await remote.generate(request([user('good morning')], sampled));
    expect(b.tokens).toEqual(a.tokens);
    expect(a.seed).toBe(1234);
    // The next prompt carries the sampled ids (not a re-tokenization of the text).
    const ids = await remote.promptTokens([user('good morning'), assistant(a.text), user('more')]);
    const prefix = await remote.promptTokens([user('good morning')]);
    expect(ids.slice(prefix.length, prefix.length + a.tokens.length)).toEqual(a.tokens);
  });

  it('stops on the user’s signal and reports it as stopped', async () => {
    const remote = new LlamaServerEngine({ baseUrl: server.baseUrl });
    const controller = new AbortController();
    const result = await remote.generate(request([user('go on')], { ...greedy, maxTokens: 2000 }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'delta') controller.abort();
      },
    });
    expect(result.stopReason).toBe('aborted');
    expect(result.tokens.length).toBeLessThan(2000);
  });

  it('refuses a server that serves a model without Chameleon’s image tokens', async () => {
    const other = await startLlamaServer({ model: noImageVocabularyGguf() });
    try {
      expect(await codeOf(new LlamaServerEngine({ baseUrl: other.baseUrl }).probe())).toBe('remote.notChameleon');
    } finally {
      await other.stop();
    }
  });

  it('says 401 when the API key is wrong, and works with the right one', async () => {
    const keyed = await startLlamaServer({ model: tinyChameleonGguf(), apiKey: 'sekrit-key' });
    try {
      expect(await codeOf(new LlamaServerEngine({ baseUrl: keyed.baseUrl, apiKey: 'wrong' }).probe())).toBe('remote.unauthorized');
      expect((await new LlamaServerEngine({ baseUrl: keyed.baseUrl, apiKey: 'sekrit-key' }).probe()).vocabularySize).toBe(65536);
    } finally {
      await keyed.stop();
    }
  });

  it('answers through llama-server --rpc with the layers on one rpc-server on 127.0.0.1', async () => {
    const rpc = await startRpcServer();
    const address = `127.0.0.1:${rpc.port}`;
    // -lv 4: at its default verbosity llama-server does not print where the layers and buffers went.
    const front = await startLlamaServer({ model: tinyChameleonGguf(), rpc: [address], verbosity: 4 });
    try {
      const remote = new LlamaServerEngine({ baseUrl: front.baseUrl });
      await remote.probe();
      const result = await remote.generate(request([user('what is two plus two')]));
      expect(result.tokens.length).toBe(24);
      // llama-server's own account: every layer offloaded, the weights and the KV cache on the RPC
      // device at that address (rpc-server's "Accepted client connection" alone is also caused by
      // the readiness probe, so it proves nothing).
      const lines = front.log().split('\n').filter((l) => /load_tensors: offloaded|RPC\d+\[/.test(l));
      console.log(`[rpc] llama-server log:\n${lines.join('\n')}`);
      const offloaded = lines.join('\n').match(/offloaded (\d+)\/(\d+) layers to GPU/);
      expect(offloaded).not.toBeNull();
      expect(offloaded![1]).toBe(offloaded![2]);
      const device = `RPC\\d+\\[${address.replace(/\./g, '\\.')}\\]`;
      expect(lines.some((l) => new RegExp(`load_tensors: ${device} model buffer size`).test(l))).toBe(true);
      expect(lines.some((l) => new RegExp(`llama_kv_cache: ${device} KV buffer size`).test(l))).toBe(true);
    } finally {
      await front.stop();
      await rpc.stop();
    }
  });
});
