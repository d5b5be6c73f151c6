// Continue and min-p on the real host with the tiny fixture model. Continue: the cut answer goes
// back as an open assistant turn, as the very ids that were sampled (no </s> after them), so the
// host reuses its KV cache and the model carries on the same answer. Min-p reaches the sampler:
// at 1 only the most likely token survives, so any seed gives the same text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, GenerateRequestInput } from '../../../main/contract/engine.ts';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

const user = (text: string): ChatTurn => ({ role: 'user', segments: [{ type: 'text', text }] });
const assistant = (text: string): ChatTurn => ({ role: 'assistant', segments: [{ type: 'text', text }] });

describe('Continue and min-p on the real engine', () => {
  let engine: EngineClient;
  beforeAll(async () => {
    engine = new EngineClient({ launcher: forkLauncher() });
    await engine.load({ modelPath: tinyChameleonGguf(), contextSize: 1024 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('continues a cut answer from its sampled ids: the prompt is the earlier prompt plus the answer, mostly cached', async () => {
    // Longer than one 64-token chunk: the cache is reused down to chunk boundaries only.
    const question = [user(`Tell me a long story about a chameleon who changes colour. ${'It lives in a forest of tall green trees, near a river. '.repeat(6)}`)];
    const sampling = { seed: 7, temperature: 1, topK: 0, topP: 1, maxTokens: 8 };
    const cut = await engine.generate({ sessionId: 'c', turns: question, sampling });
    expect(cut.stopReason).toBe('maxTokens');
    const more = await engine.generate({ sessionId: 'c', turns: [...question, assistant(cut.text)], sampling });
    // BOS … EOT + the answer's own ids, and no </s> closing it.
    expect(more.usage.promptTokens).toBe(cut.usage.promptTokens + cut.usage.completionTokens);
    expect(more.usage.evaluatedPromptTokens).toBeLessThan(more.usage.promptTokens);
    expect(more.usage.completionTokens).toBeGreaterThan(0);
    // The whole answer's ids are known now: a follow-up after it reuses them (+1 for its </s>).
    const followUp: GenerateRequestInput = { sessionId: 'c', turns: [...question, assistant(cut.text + more.text), user('And then?')], sampling: { ...sampling, maxTokens: 1 } };
    const next = await engine.generate(followUp);
    const thenTokens = (await engine.countTokens([user('And then?')])) - 1; // its ids and EOT, no BOS
    expect(next.usage.promptTokens).toBe(more.usage.promptTokens + more.usage.completionTokens + 1 + thenTokens);
    expect(next.usage.evaluatedPromptTokens).toBeLessThan(next.usage.promptTokens);
  });

  it('passes min-p to the sampler: at 1 every seed gives the same text, at 0 seeds differ', async () => {
    const turns = [user('Name some colours.')];
    const answer = (seed: number, minP: number) => engine.generate({ sessionId: 'm', turns, sampling: { seed, minP, temperature: 2, topK: 0, topP: 1, maxTokens: 16 } });
    const a = await answer(1, 1);
    const b = await answer(2, 1);
    expect(b.text).toBe(a.text);
    const c = await answer(1, 0);
    const d = await answer(2, 0);
    expect(d.text).not.toBe(c.text);
  });
});
