// The engine end to end: EngineClient → forked host process → node-llama-cpp → the tiny
// random-weight Chameleon fixture. Nothing here is simulated; the host is a real process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import type { ChatTurn, EngineStatus, GenerationEvent, SamplingSettingsInput } from '../../../main/contract/engine.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { codeOf } from '../../fixtures/testKit.ts';

const user = (text: string): ChatTurn => ({ role: 'user', segments: [{ type: 'text', text }] });
const assistant = (text: string): ChatTurn => ({ role: 'assistant', segments: [{ type: 'text', text }] });
const sampling = (s: SamplingSettingsInput = {}): SamplingSettingsInput => ({ maxTokens: 24, seed: 42, ...s });


describe('engine through the host process', () => {
  const client = new EngineClient({ launcher: forkLauncher() });
  const statuses: EngineStatus[] = [];
  const progress: number[] = [];

  beforeAll(async () => {
    client.onStatus((s) => statuses.push(s));
    await client.load({ modelPath: tinyChameleonGguf(), contextSize: 4096 }, { onProgress: (p) => progress.push(p) });
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('loads with progress and reports model and backend', () => {
    const status = client.getStatus();
    expect(status.state).toBe('ready');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(statuses.some((s) => s.state === 'loading')).toBe(true);
    expect(status.model).toMatchObject({ architecture: 'chameleon', contextSize: 4096, trainContextSize: 4096, vocabularySize: 65536 });
    expect(status.backend?.threads).toBeGreaterThanOrEqual(1);
    expect(status.backend?.totalLayers).toBeGreaterThan(0);
    if (status.backend?.kind === 'cpu') expect(status.backend.cpuFallbackReason).toMatch(/\w/);
  });

  it('streams deltas that add up to the final text', async () => {
    const events: GenerationEvent[] = [];
    const result = await client.generate({ sessionId: 'stream', turns: [user('hello world')], sampling: sampling() }, { onEvent: (e) => events.push(e) });
    const deltas = events.filter((e) => e.type === 'delta').map((e) => e.text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(result.text);
    expect(result.stopReason).toBe('maxTokens');
    expect(result.usage.completionTokens).toBe(24);
    expect(result.usage.promptTokens).toBe(await client.countTokens([user('hello world')]));
    expect(events.at(-1)).toEqual({ type: 'done', result });
    expect(result.timings.tokensPerSecond).toBeGreaterThan(0);
  });

  it('reproduces an answer with the same seed and varies it with another', async () => {
    const turns = [user('tell me a story')];
    const a = await client.generate({ sessionId: 'seed-a', turns, sampling: sampling({ seed: 7 }) });
    const b = await client.generate({ sessionId: 'seed-b', turns, sampling: sampling({ seed: 7 }) });
    const c = await client.generate({ sessionId: 'seed-c', turns, sampling: sampling({ seed: 8 }) });
    expect(b.text).toBe(a.text);
    expect(b.seed).toBe(7);
    expect(c.text).not.toBe(a.text);
  });

  it('reuses the KV cache: a follow-up turn evaluates only the new tokens', async () => {
    const first = [user('describe the picture')];
    const r1 = await client.generate({ sessionId: 'kv', turns: first, sampling: sampling({ maxTokens: 16 }) });
    const second = [...first, assistant(r1.text), user('and the colors')];
    const r2 = await client.generate({ sessionId: 'kv', turns: second, sampling: sampling({ maxTokens: 16 }) });
    // The context holds prompt₁ and every sampled token but the last (never fed back).
    const cached = r1.usage.promptTokens + r1.usage.completionTokens - 1;
    expect(r2.usage.promptTokens).toBe(await client.countTokens(second));
    expect(r2.usage.evaluatedPromptTokens).toBe(r2.usage.promptTokens - cached);
    expect(r2.usage.evaluatedPromptTokens).toBeLessThan(10);
  });

  it('evaluates a 3000-token prompt in chunks without aborting the process', async () => {
    const events: GenerationEvent[] = [];
    const turns = [user('the '.repeat(3000))];
    const r = await client.generate({ sessionId: 'long', turns, sampling: sampling({ maxTokens: 4 }) }, { onEvent: (e) => events.push(e) });
    expect(r.usage.promptTokens).toBeGreaterThan(3000);
    // Only the BOS can come from the cache (the previous test left another conversation there).
    expect(r.usage.evaluatedPromptTokens).toBeGreaterThanOrEqual(r.usage.promptTokens - 1);
    expect(r.stopReason).toBe('maxTokens');
    const prog = events.filter((e) => e.type === 'promptProgress');
    expect(prog.length).toBeGreaterThan(3);
    const n = r.usage.evaluatedPromptTokens;
    expect(prog.at(-1)).toMatchObject({ evaluated: n, total: n });
    expect(client.getStatus().state).toBe('ready');
  });

  it('keeps the partial text when a generation is aborted', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const r = await client.generate(
      { sessionId: 'abort', turns: [user('write a long poem')], sampling: sampling({ maxTokens: 1000 }) },
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type !== 'delta') return;
          deltas.push(e.text);
          if (deltas.length === 5) controller.abort();
        },
      },
    );
    expect(r.stopReason).toBe('aborted');
    expect(r.text).toBe(deltas.join(''));
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.usage.completionTokens).toBeLessThan(1000);
  });

  it('stops mid-prompt when aborted during a long prompt', async () => {
    const controller = new AbortController();
    const r = await client.generate(
      { sessionId: 'abort-prompt', turns: [user('the '.repeat(3000))], sampling: sampling() },
      { signal: controller.signal, onEvent: (e) => e.type === 'promptProgress' && controller.abort() },
    );
    expect(r.stopReason).toBe('aborted');
    expect(r.text).toBe('');
    expect(r.usage.completionTokens).toBe(0);
  });

  it('refuses a prompt longer than the context before evaluating it', async () => {
    const turns = [user('the '.repeat(5000))];
    expect(await codeOf(client.generate({ sessionId: 'overflow', turns, sampling: sampling() }))).toBe('engine.contextOverflow');
    const after = await client.generate({ sessionId: 'overflow', turns: [user('hi')], sampling: sampling({ maxTokens: 3 }) });
    expect(after.usage.completionTokens).toBe(3);
  });

  it('answers engine.busy to a second generation on the same conversation', async () => {
    const first = client.generate({ sessionId: 'busy', turns: [user('one')], sampling: sampling({ maxTokens: 40 }) });
    expect(await codeOf(client.generate({ sessionId: 'busy', turns: [user('two')], sampling: sampling() }))).toBe('engine.busy');
    const other = client.generate({ sessionId: 'not-busy', turns: [user('three')], sampling: sampling({ maxTokens: 3 }) });
    expect((await first).usage.completionTokens).toBe(40);
    expect((await other).usage.completionTokens).toBe(3);
  });

  it('stops at a stop string without emitting it', async () => {
    const free = await client.generate({ sessionId: 'stop', turns: [user('go on')], sampling: sampling({ maxTokens: 40 }) });
    // Pick a stop string from the middle of the answer this seed produces.
    const stop = free.text.slice(10, 13);
    expect(stop.length).toBe(3);
    const cut = await client.generate({ sessionId: 'stop', turns: [user('go on')], sampling: sampling({ maxTokens: 40, stop: [stop] }) });
    expect(cut.stopReason).toBe('stopString');
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
  });

  it('accepts an image segment: 1026 tokens fed across batches without aborting', async () => {
    const codes = Array.from({ length: 1024 }, (_, i) => (i * 131) % 8192);
    const turns: ChatTurn[] = [{ role: 'user', segments: [{ type: 'image', codes }, { type: 'text', text: 'what do you see' }] }];
    const r = await client.generate({ sessionId: 'image', turns, sampling: sampling({ maxTokens: 5 }) });
    expect(r.usage.promptTokens).toBe(await client.countTokens(turns));
    expect(r.usage.promptTokens).toBeGreaterThan(1 + 1026 + 1);
    expect(r.usage.completionTokens).toBe(5);
  });

  it('a model switch stops the running answer instead of waiting for it', async () => {
    const running = client.generate({ sessionId: 'switch', turns: [user('a very long answer please')], sampling: sampling({ maxTokens: 3000 }) });
    await new Promise((r) => setTimeout(r, 300));
    await client.load({ modelPath: tinyChameleonGguf(), contextSize: 4096 });
    const r = await running;
    expect(r.stopReason).toBe('aborted');
    expect(r.usage.completionTokens).toBeLessThan(3000);
    expect(client.getStatus().state).toBe('ready');
  });

  it('stops at the end of the context instead of overflowing it', async () => {
    // BOS + 4086 text tokens + EOT leaves 8 free positions in the 4096-token context.
    const turns = [user('the'.concat(' the'.repeat(4085)))];
    const promptTokens = await client.countTokens(turns);
    expect(promptTokens).toBe(4088);
    const r = await client.generate({ sessionId: 'edge', turns, sampling: sampling({ maxTokens: 100 }) });
    expect(r.stopReason).toBe('maxTokens');
    expect(r.usage.completionTokens).toBe(4096 - promptTokens);
  });

  it('rejects malformed requests with api.badRequest', async () => {
    expect(await codeOf(client.generate({ sessionId: 'x', turns: [assistant('no user turn')] }))).toBe('api.badRequest');
    const badImage: ChatTurn = { role: 'user', segments: [{ type: 'image', codes: [1, 2, 3] }] };
    expect(await codeOf(client.generate({ sessionId: 'x', turns: [badImage] }))).toBe('api.badRequest');
  });
});

describe('engine crash recovery and bad input', () => {
  const client = new EngineClient({ launcher: forkLauncher() });
  afterAll(async () => {
    await client.dispose();
  });

  it('reports engine.crashed with the reason, keeps the partial text, and restarts on the next request', async () => {
    await client.load({ modelPath: tinyChameleonGguf() });
    const firstPid = client.hostPid;
    const deltas: string[] = [];
    const crashes: EngineStatus[] = [];
    client.onStatus((s) => s.state === 'crashed' && crashes.push(s));
    const r = await client.generate(
      { sessionId: 'crash', turns: [user('keep talking')], sampling: sampling({ maxTokens: 4000 }) },
      {
        onEvent: (e) => {
          if (e.type !== 'delta') return;
          deltas.push(e.text);
          if (deltas.length === 5) process.kill(firstPid!, 'SIGKILL');
        },
      },
    );
    expect(r.stopReason).toBe('crashed');
    expect(r.error?.code).toBe('engine.crashed');
    expect(r.error?.details).toMatchObject({ signal: 'SIGKILL' });
    expect(r.text).toBe(deltas.join(''));
    expect(r.text.length).toBeGreaterThan(0);
    expect(crashes).toHaveLength(1);
    expect(client.getStatus().state).toBe('crashed');

    const again = await client.generate({ sessionId: 'crash', turns: [user('are you back')], sampling: sampling({ maxTokens: 3 }) });
    expect(again.usage.completionTokens).toBe(3);
    expect(client.hostPid).toBeDefined();
    expect(client.hostPid).not.toBe(firstPid);
    expect(client.getStatus().state).toBe('ready');
  });

  it('answers every bad model file with its code and stays usable', async () => {
    const { otherArchitectureGguf, noImageVocabularyGguf, truncatedGguf, headerTruncatedGguf } = await import('../../fixtures/gguf/fixtureModels.ts');
    // A failed switch keeps the model that was serving (it is checked before the old one goes).
    await client.load({ modelPath: tinyChameleonGguf() });
    expect(await codeOf(client.load({ modelPath: '/nonexistent/model.gguf' }))).toBe('model.notFound');
    expect(client.getStatus()).toMatchObject({ state: 'ready', settings: { modelPath: tinyChameleonGguf() } });
    expect((await client.generate({ sessionId: 'kept', turns: [user('hi')], sampling: sampling({ maxTokens: 1 }) })).usage.completionTokens).toBe(1);
    // With nothing loaded, the failure is the state.
    await client.unload();
    expect(await codeOf(client.load({ modelPath: '/nonexistent/model.gguf' }))).toBe('model.notFound');
    expect(client.getStatus()).toMatchObject({ state: 'error', error: { code: 'model.notFound' } });
    expect(await codeOf(client.load({ modelPath: truncatedGguf() }))).toBe('model.corrupt');
    expect(await codeOf(client.load({ modelPath: headerTruncatedGguf() }))).toBe('model.corrupt');
    expect(await codeOf(client.load({ modelPath: otherArchitectureGguf() }))).toBe('model.notChameleon');
    expect(await codeOf(client.load({ modelPath: noImageVocabularyGguf() }))).toBe('model.noImageVocabulary');
    const pid = client.hostPid;
    await client.load({ modelPath: tinyChameleonGguf() });
    expect(client.hostPid).toBe(pid); // no crash along the way
    const r = await client.generate({ sessionId: 'after-bad', turns: [user('hi')], sampling: sampling({ maxTokens: 2 }) });
    expect(r.usage.completionTokens).toBe(2);
  });

  it('puts the previous model back when a switch fails after the old model was unloaded', async () => {
    await client.load({ modelPath: tinyChameleonGguf(), contextSize: 1024 });
    const controller = new AbortController();
    // Cancelled mid-load: the old model is gone by then, so the host loads it again.
    const switching = client.load({ modelPath: tinyChameleonGguf(), contextSize: 2048 }, { signal: controller.signal, onProgress: () => controller.abort() });
    expect(await codeOf(switching)).toBe('model.loadCancelled');
    expect(client.getStatus()).toMatchObject({ state: 'ready', model: { contextSize: 1024 } });
    expect((await client.generate({ sessionId: 'restored', turns: [user('hi')], sampling: sampling({ maxTokens: 1 }) })).usage.completionTokens).toBe(1);
  });

  it('honours a GPU override, and says why when it has to run on the CPU', async () => {
    const status = await client.load({ modelPath: tinyChameleonGguf(), gpu: 'vulkan', gpuLayers: 'auto' });
    expect(status.state).toBe('ready');
    if (status.backend?.kind === 'vulkan') expect(status.backend.cpuFallbackReason).toBeUndefined();
    else expect(status.backend?.cpuFallbackReason).toMatch(/Vulkan was requested/);
    const cpu = await client.load({ modelPath: tinyChameleonGguf(), gpu: 'cpu' });
    expect(cpu.backend).toMatchObject({ kind: 'cpu', gpuLayers: 0 });
    expect(cpu.backend?.cpuFallbackReason).toBeUndefined();
  });

  it('cancels a load, unloads, and says model.notLoaded afterwards', async () => {
    expect((await client.unload()).state).toBe('empty');
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(client.load({ modelPath: tinyChameleonGguf() }, { signal: controller.signal }))).toBe('model.loadCancelled');
    expect(await codeOf(client.generate({ sessionId: 'cancelled', turns: [user('hi')] }))).toBe('model.notLoaded');
    await client.load({ modelPath: tinyChameleonGguf(), contextSize: 2048, threads: 1 });
    expect(client.getStatus().model?.contextSize).toBe(2048);
    expect((await client.unload()).state).toBe('empty');
    expect(await codeOf(client.generate({ sessionId: 'none', turns: [user('hi')] }))).toBe('model.notLoaded');
  });
});
