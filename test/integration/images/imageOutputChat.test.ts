// Generated images in the chat (issue 12), on real parts: AppServices on a forked engine host with
// the code-chain fixture (greedy decoding follows a known text + 1024-code path) and the narrow
// VQ-GAN as decoder. An interleaved answer is stored as text, image, text; the image is
// content-addressed with its codes in the codes cache, a follow-up turn reads them back (never
// re-encodes) and the context meter counts them; Stop mid-image keeps a partial image; an image
// that cannot fit is refused before anything is written; a text-only model says why it cannot draw.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationPacket, StreamSink } from '../../../main/contract/api.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { VqganTokenizer } from '../../../main/images/vqgan/vqgan.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { CODE_CHAIN_TEXT, codeChain } from '../../fixtures/gguf/codeChain.ts';
import { codeChainGguf, GENERATED_DIR, tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { FIXTURES } from '../vqgan/goldenFixtures.ts';

const WEIGHTS = path.join(FIXTURES, 'narrow', 'weights.safetensors');
const greedy = { temperature: 0, seed: 5 };

function sink(): { sink: StreamSink<GenerationPacket>; packets: GenerationPacket[]; controller: AbortController } {
  const packets: GenerationPacket[] = [];
  const controller = new AbortController();
  return { packets, controller, sink: { send: (p) => packets.push(p), signal: controller.signal } };
}

describe('generated images in the chat (code-chain GGUF + narrow VQ-GAN)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chm-imagegen-'));
  let app: AppServices;

  beforeAll(async () => {
    app = await AppServices.start({ dataDir, launcher: forkLauncher(), modelDirs: [GENERATED_DIR, FIXTURES], info: { name: 't', version: '0', mode: 'browser', platform: process.platform } });
    await app.handlers.commands['settings.set']({ ...app.settings.get(), vqganWeightsPath: WEIGHTS, threads: 1 });
  });
  afterAll(async () => {
    await app?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a text-only model cannot draw, and says why', async () => {
    await app.handlers.commands['model.load']({ modelPath: tinyChameleonGguf(), contextSize: 4096 });
    expect((await app.handlers.commands['images.capability']({})).output).toMatchObject({ available: false, reason: { code: 'model.noImageOutput' } });
    const chat = await app.handlers.commands['chats.create']({});
    const s = sink();
    const err = await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'draw a cat' }], mode: 'image' }, s.sink).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('model.noImageOutput');
    expect(app.store.getActivePath(chat.id).items).toEqual([]);
  });

  it('interleaved: text, a stored image with its codes, text; previews streamed; a follow-up reuses the codes', async () => {
    await app.handlers.commands['model.load']({ modelPath: codeChainGguf(), contextSize: 4096 });
    expect((await app.handlers.commands['images.capability']({})).output).toEqual({ available: true });
    const chat = await app.handlers.commands['chats.create']({});
    const s = sink();
    await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'explain with a picture' }], sampling: greedy, mode: 'interleaved', imageSampling: { temperature: 0 } }, s.sink);
    const done = s.packets.at(-1)!;
    if (done.type !== 'success') throw new Error(JSON.stringify(done));
    const parts = done.message.parts;
    expect(parts.map((p) => p.kind)).toEqual(['text', 'generatedImage', 'text']);
    expect(parts[0]).toEqual({ kind: 'text', text: CODE_CHAIN_TEXT.before });
    expect(parts[2]).toEqual({ kind: 'text', text: CODE_CHAIN_TEXT.after });
    const image = parts[1]!;
    if (image.kind !== 'generatedImage') throw new Error();
    expect(image).toMatchObject({ mime: 'image/png', width: 512, height: 512 });
    expect(image.partial).toBeUndefined();
    // Content-addressed, and the very pixels the decoder makes of the chain's codes.
    const vqgan = await VqganTokenizer.open(WEIGHTS, { threads: 1 });
    try {
      const reference = await vqgan.decodeToPng(Int32Array.from(codeChain()));
      const stored = app.images.read(image.imageHash).bytes;
      expect((await sharp(stored).raw().toBuffer()).equals(await sharp(reference.png).raw().toBuffer())).toBe(true);
    } finally {
      vqgan.dispose();
    }
    // Seed and image settings recorded with the answer.
    expect(done.message.seed).toBe(5);
    expect(done.message.sampling).toMatchObject({ mode: 'interleaved', imageSampling: { temperature: 0 } });
    // Stream order: fragment, imageStarted, previews, image, fragment, success.
    const kinds = s.packets.map((p) => p.type).filter((t) => t !== 'promptProgress');
    expect(kinds.indexOf('imageStarted')).toBeGreaterThan(kinds.indexOf('fragment'));
    expect(kinds.lastIndexOf('fragment')).toBeGreaterThan(kinds.indexOf('image'));
    expect(kinds.filter((k) => k === 'imagePreview').length).toBeGreaterThan(0);

    // Follow-up: the image's codes come back from the codes cache; nothing is encoded.
    const encodes = app.images.encodes;
    const follow = sink();
    await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: done.message.id, parts: [{ kind: 'text', text: 'thanks' }], sampling: { ...greedy, maxTokens: 4 } }, follow.sink);
    expect(follow.packets.at(-1)?.type).toBe('success');
    expect(app.images.encodes).toBe(encodes);
    const turns = await app.generation.promptTurns(chat.id, done.message.id);
    const assistant = turns.at(-1)!;
    expect(assistant.segments[1]).toEqual({ type: 'image', codes: codeChain() });
    // The context meter counts the generated image (1026 tokens of it).
    const meter = await app.handlers.commands['generation.promptTokens']({ conversationId: chat.id, leafId: done.message.id });
    expect(meter.images).toBe(1);
    expect(meter.promptTokens).toBeGreaterThan(1026);
  });

  it('Stop mid-image keeps a partial image, marked partial; regenerate draws again', async () => {
    const chat = await app.handlers.commands['chats.create']({});
    const s = sink();
    const original = s.sink.send;
    s.sink.send = (p) => {
      original(p);
      // A few seconds into the drawing (its first preview may wait for the 10 % budget).
      if (p.type === 'imageStarted') setTimeout(() => void app.handlers.commands['generation.stop']({ conversationId: chat.id }), 3000);
    };
    await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'draw' }], sampling: greedy, mode: 'image' }, s.sink);
    const done = s.packets.at(-1)!;
    if (done.type !== 'success') throw new Error(JSON.stringify(done));
    expect(done.message.status).toBe('stopped');
    const image = done.message.parts.find((p) => p.kind === 'generatedImage');
    expect(image).toMatchObject({ kind: 'generatedImage', partial: true });
    // Read back from the store the same way.
    expect(app.store.getMessage(done.message.id).parts.find((p) => p.kind === 'generatedImage')).toMatchObject({ partial: true });

    const again = sink();
    await app.handlers.streams['messages.regenerate']({ messageId: done.message.id, imageSampling: { temperature: 0 } }, again.sink);
    const last = again.packets.at(-1)!;
    if (last.type !== 'success') throw new Error(JSON.stringify(last));
    expect(last.message.siblingCount).toBe(2);
    const full = last.message.parts.find((p) => p.kind === 'generatedImage');
    expect(full && full.kind === 'generatedImage' && full.partial).toBeFalsy();
    expect(last.message.sampling).toMatchObject({ mode: 'image' });
  });

  it('an image that cannot fit is refused before anything is written, with the numbers', async () => {
    await app.handlers.commands['model.load']({ modelPath: codeChainGguf(), contextSize: 1024 });
    const chat = await app.handlers.commands['chats.create']({});
    const s = sink();
    const err = (await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'draw a fox' }], mode: 'image' }, s.sink).catch((e: unknown) => e)) as {
      code: string;
      details: Record<string, number>;
    };
    expect(err.code).toBe('engine.contextOverflow');
    expect(err.details).toMatchObject({ reserve: 1026, contextSize: 1024 });
    expect(app.store.getActivePath(chat.id).items).toEqual([]);
  });
});
