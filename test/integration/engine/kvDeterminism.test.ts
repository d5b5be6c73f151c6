// The answer for a seed, a prompt and settings must not depend on what the KV cache held (issue
// 10): a prompt evaluated fresh after a load, one whose prefix was cached by an earlier request,
// and one continuing an earlier answer must see the same numbers. llama.cpp's results depend on
// how tokens are batched, so the host evaluates every prompt in chunks aligned to absolute
// positions and reuses only cache cells that such chunks wrote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, GenerateRequestInput } from '../../../main/contract/engine.ts';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

const BATCH = 16;
const user = (text: string): ChatTurn => ({ role: 'user', segments: [{ type: 'text', text }] });
const assistant = (text: string): ChatTurn => ({ role: 'assistant', segments: [{ type: 'text', text }] });
const request = (turns: ChatTurn[]): GenerateRequestInput => ({ sessionId: 's', turns, sampling: { seed: 1234, temperature: 1.3, topK: 0, topP: 1, maxTokens: 48 } });

describe('answers independent of the KV cache', () => {
  let fresh: EngineClient;
  let warm: EngineClient;
  beforeAll(async () => {
    fresh = new EngineClient({ launcher: forkLauncher() });
    warm = new EngineClient({ launcher: forkLauncher() });
    await Promise.all([fresh, warm].map((c) => c.load({ modelPath: tinyChameleonGguf(), contextSize: 1024, batchSize: BATCH })));
  });
  afterAll(async () => {
    await Promise.all([fresh?.dispose(), warm?.dispose()]);
  });

  it('gives the same answer fresh after a load, with the prompt cached, and after other prompts', async () => {
    const question = [user('Describe the colours of a chameleon in the morning sun, in detail please.')];
    const first = await warm.generate(request(question));
    const again = await warm.generate(request(question));
    await warm.generate(request([user('Something else entirely, and longer than one chunk of sixteen tokens.')]));
    const afterOther = await warm.generate(request(question));
    expect(again.text).toBe(first.text);
    expect(afterOther.text).toBe(first.text);

    // The next turn, continued on the warm host (its cache holds the question and an answer) and
    // evaluated from nothing on a freshly loaded one. The earlier answer is given as text both
    // hosts tokenize alike (the warm one would otherwise reuse its sampled ids).
    const followUp = [...question, assistant('They glow green and gold, then turn darker.'), user('And at night, when it is cold?')];
    const continued = await warm.generate(request(followUp));
    const fromNothing = await fresh.generate(request(followUp));
    expect(continued.text).toBe(fromNothing.text);
    // Cached cells are reused only up to a chunk boundary.
    expect((continued.usage.promptTokens - continued.usage.evaluatedPromptTokens) % BATCH).toBe(0);
    expect(continued.usage.evaluatedPromptTokens).toBeLessThan(continued.usage.promptTokens);
    // And once more on the warm host, whose cache now holds this turn and its answer.
    expect((await warm.generate(request(followUp))).text).toBe(fromNothing.text);
  });
});
