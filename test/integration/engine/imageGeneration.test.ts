// Image output on the real host process and node-llama-cpp (issue 12): the code-chain fixture,
// whose weights make greedy decoding follow a known path, must produce exactly its 1024 codes
// through the three CFG streams, and the narrow VQ-GAN must decode them to the very pixels it
// decodes the known codes to; interleaved mode runs text → image → text; random alias weights
// show seeding (same seed → same image) and Stop mid-image (a partial image, marked so).
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, GenerateRequestInput, GenerationEvent } from '../../../main/contract/engine.ts';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { VqganTokenizer } from '../../../main/images/vqgan/vqgan.ts';
import { CODE_CHAIN_TEXT, codeChain } from '../../fixtures/gguf/codeChain.ts';
import { aliasedChameleonGguf, codeChainGguf, tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { FIXTURES } from '../vqgan/goldenFixtures.ts';

const WEIGHTS = path.join(FIXTURES, 'narrow', 'weights.safetensors');
const draw: ChatTurn[] = [{ role: 'user', segments: [{ type: 'text', text: 'draw a red fox in the snow' }] }];

function collect(): { events: GenerationEvent[]; onEvent: (e: GenerationEvent) => void } {
  const events: GenerationEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

async function rgb(png: Uint8Array): Promise<Buffer> {
  return sharp(png).removeAlpha().raw().toBuffer();
}

describe('image generation (code-chain fixture + narrow VQ-GAN)', () => {
  let chain: EngineClient;
  let random: EngineClient;
  let vqgan: VqganTokenizer;
  beforeAll(async () => {
    chain = new EngineClient({ launcher: forkLauncher() });
    random = new EngineClient({ launcher: forkLauncher() });
    await chain.load({ modelPath: codeChainGguf(), contextSize: 4096, threads: 1 });
    await random.load({ modelPath: aliasedChameleonGguf(), contextSize: 4096, threads: 1 });
    vqgan = await VqganTokenizer.open(WEIGHTS, { threads: 1 });
  });
  afterAll(async () => {
    vqgan?.dispose();
    await Promise.all([chain?.dispose(), random?.dispose()]);
  });

  it('says which models can draw; text answers on an aliased model stay text (the aliases are banned there)', async () => {
    expect(chain.getStatus().model?.imageAliases).toBe(true);
    const r = await random.generate({ sessionId: 't', turns: draw, sampling: { seed: 1, maxTokens: 24, temperature: 1.5, topP: 1 }, logprobs: 0 });
    expect(r.images).toBeUndefined();
    expect(r.usage.completionTokens).toBeGreaterThan(0);
    // Every sampled token has text: an alias (a CONTROL token) would detokenize to nothing.
    expect(r.logprobs!.every((l) => l.token !== '')).toBe(true);
  });

  it('image mode: the exact 1024 codes of the chain through CFG, previews on the way, the decoded pixels', async () => {
    const { events, onEvent } = collect();
    const request: GenerateRequestInput = { sessionId: 'a', turns: draw, mode: 'image', vqganWeightsPath: WEIGHTS, sampling: { seed: 1 }, imageSampling: { temperature: 0 } };
    const result = await chain.generate(request, { onEvent });
    const expected = codeChain();
    expect(result.images).toMatchObject([{ codes: expected, partial: false, streams: 2 }]);
    expect(result.stopReason).toBe('eos');
    expect(result.usage.completionTokens).toBe(1025);
    const image = events.find((e) => e.type === 'image');
    if (image?.type !== 'image') throw new Error('no image event');
    expect(image.partial).toBe(false);
    const reference = await vqgan.decodeToPng(Int32Array.from(expected));
    expect((await rgb(image.png!)).equals(await rgb(reference.png))).toBe(true);
    const meta = await sharp(image.png!).metadata();
    expect([meta.width, meta.height]).toEqual([512, 512]);
    // Previews: at least one, each a grid-row multiple, in order, and the padded decode of its prefix.
    const previews = events.filter((e) => e.type === 'imagePreview');
    expect(previews.length).toBeGreaterThan(0);
    const counts = previews.map((p) => (p.type === 'imagePreview' ? p.codes : -1));
    expect(counts.every((n) => n % 32 === 0 && n > 0 && n < 1024)).toBe(true);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    const first = previews[0]!;
    if (first.type !== 'imagePreview') throw new Error();
    const padded = Int32Array.from({ length: 1024 }, (_, i) => (i < first.codes ? expected[i]! : expected[0]!));
    expect((await rgb(first.png)).equals(await rgb((await vqgan.decodeToPng(padded)).png))).toBe(true);
  });

  it('interleaved mode: text, then BOI, the chain, the forced EOI, then text again', async () => {
    const { events, onEvent } = collect();
    // Both guidance scales 1: the mix is the conditional stream exactly, so it alone is evaluated.
    const imageSampling = { temperature: 0, guidanceText: 1, guidanceImage: 1 };
    const result = await chain.generate({ sessionId: 'b', turns: draw, mode: 'interleaved', sampling: { seed: 2, temperature: 0 }, imageSampling }, { onEvent });
    expect(result.text).toBe(CODE_CHAIN_TEXT.before + CODE_CHAIN_TEXT.after);
    expect(result.images).toMatchObject([{ codes: codeChain(), partial: false, streams: 1 }]);
    expect(result.stopReason).toBe('eos');
    // The order the service stores parts in: text delta, the image, text delta.
    const order = events.filter((e) => e.type === 'delta' || e.type === 'image').map((e) => (e.type === 'delta' ? e.text : 'IMAGE'));
    expect(order).toEqual([CODE_CHAIN_TEXT.before, 'IMAGE', CODE_CHAIN_TEXT.after]);
    // No decoder weights named: codes only.
    const image = events.find((e) => e.type === 'image');
    expect(image?.type === 'image' && image.png).toBeFalsy();
  });

  it('a follow-up turn carries the generated image as its codes, and the chain goes on from there', async () => {
    const codes = codeChain();
    const turns: ChatTurn[] = [...draw, { role: 'assistant', segments: [{ type: 'image', codes }] }, { role: 'user', segments: [{ type: 'text', text: 'again' }] }];
    const tokens = await chain.promptTokens(turns);
    expect(tokens.filter((t) => t >= 4 && t < 8196)).toEqual(codes.map((c) => c + 4));
    // With an earlier image the image-conditioned stream differs from the unconditioned one (3 streams).
    const result = await chain.generate({ sessionId: 'c', turns, mode: 'image', sampling: { seed: 3 }, imageSampling: { temperature: 0 } });
    expect(result.images?.[0]).toMatchObject({ codes, streams: 3 });
  });

  it('the same seed gives the same image, another seed another (random alias head, CFG on)', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const r = await random.generate({ sessionId: 'd', turns: draw, mode: 'image', sampling: { seed }, imageSampling: { temperature: 1, topP: 1 } });
      return r.images![0]!.codes;
    };
    const a = await run(7);
    expect(a).toHaveLength(1024);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it('Stop mid-image keeps the codes so far as a partial image', async () => {
    const controller = new AbortController();
    const { events, onEvent } = collect();
    let codes = 0;
    const result = await random.generate(
      { sessionId: 'e', turns: draw, mode: 'image', vqganWeightsPath: WEIGHTS, sampling: { seed: 9 } },
      {
        signal: controller.signal,
        onEvent: (e) => {
          onEvent(e);
          if (e.type === 'imagePreview' && ++codes >= 1) controller.abort();
        },
      },
    );
    expect(result.stopReason).toBe('aborted');
    const image = result.images?.[0];
    expect(image?.partial).toBe(true);
    expect(image!.codes.length).toBeGreaterThan(0);
    expect(image!.codes.length).toBeLessThan(1024);
    const event = events.find((e) => e.type === 'image');
    expect(event?.type === 'image' && event.partial && event.png !== undefined).toBe(true);
  });

  it('refuses image output on a text-only model, and an image that cannot fit, with the numbers', async () => {
    const text = new EngineClient({ launcher: forkLauncher() });
    try {
      await text.load({ modelPath: tinyChameleonGguf(), contextSize: 1024, threads: 1 });
      await expect(text.generate({ sessionId: 'f', turns: draw, mode: 'image' })).rejects.toMatchObject({ code: 'model.noImageOutput' });
      expect(text.getStatus().model?.imageAliases).toBe(false);
    } finally {
      await text.dispose();
    }
    const long: ChatTurn[] = [{ role: 'user', segments: [{ type: 'text', text: 'word '.repeat(3500) }] }];
    const err = (await chain.generate({ sessionId: 'g', turns: long, mode: 'image' }).catch((e: unknown) => e)) as { code: string; details: Record<string, number> };
    expect(err.code).toBe('engine.contextOverflow');
    expect(err.details).toMatchObject({ contextSize: 4096, imageTokens: 1026 });
    expect(err.details.promptTokens).toBeGreaterThan(4096 - 1026);
  });
});
