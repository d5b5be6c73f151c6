// Images in the chat, end to end on real parts: the chat services (AppServices) on a forked engine
// host with the tiny Chameleon fixture GGUF, and the narrow 512-px VQ-GAN fixture (1024 codes per
// image) as the tokenizer. A turn of text, image, text, image must evaluate exactly
// BOS text BOI (code+4)×1024 EOI text BOI … EOI EOT; the next turn evaluates only its new tokens
// and never re-encodes an image (codes cache).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationPacket, ImageAttachPacket, StreamSink } from '../../../main/contract/api.ts';
import { BOI_ID, BOS_ID, EOI_ID, EOS_ID, EOT_ID } from '../../../main/contract/chameleon.ts';
import type { ImagePart, TextPart } from '../../../main/contract/chat.ts';

type UserMessagePart = TextPart | ImagePart;
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { PROMPT_CHUNK_TOKENS } from '../../../main/engine/host/generation.ts';
import { tinyChameleonGguf, GENERATED_DIR } from '../../fixtures/gguf/fixtureModels.ts';
import { FIXTURES, readF32, readI32 } from '../vqgan/goldenFixtures.ts';

const WEIGHTS = path.join(FIXTURES, 'narrow', 'weights.safetensors');

function sink<P>(): { sink: StreamSink<P>; packets: P[]; controller: AbortController } {
  const packets: P[] = [];
  const controller = new AbortController();
  return { packets, controller, sink: { send: (p) => packets.push(p), signal: controller.signal } };
}

/** Our codes equal the reference's wherever the reference's nearest-code margin is not a near-tie. */
function expectReferenceCodes(codes: readonly number[], name: string): void {
  const ref = readI32(path.join(FIXTURES, 'narrow', `${name}.codes.i32`));
  const margin = readF32(path.join(FIXTURES, 'narrow', `${name}.code_margin.f32`));
  expect(codes.length).toBe(1024);
  expect([...codes.keys()].filter((i) => codes[i] !== ref[i] && margin[i]! >= 1e-3)).toEqual([]);
}

describe('images in the chat (tiny GGUF + narrow VQ-GAN)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chm-images-'));
  let app: AppServices;
  const attached: Record<string, ImagePart> = {};

  beforeAll(async () => {
    app = await AppServices.start({ dataDir, launcher: forkLauncher(), modelDirs: [GENERATED_DIR, FIXTURES], info: { name: 't', version: '0', mode: 'browser', platform: process.platform } });
    await app.handlers.commands['settings.set']({ ...app.settings.get(), vqganWeightsPath: WEIGHTS });
    await app.handlers.commands['model.load']({ modelPath: tinyChameleonGguf(), contextSize: 4096 });
  });
  afterAll(async () => {
    await app?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('settings refuse VQ-GAN weights that are not VQ-GAN weights, by code, and capability follows the settings', async () => {
    expect(app.handlers.commands['images.capability']({})).toMatchObject({ available: true, tokensPerImage: 1026 });
    const err = await Promise.resolve(app.handlers.commands['settings.set']({ ...app.settings.get(), vqganWeightsPath: tinyChameleonGguf() })).catch((e: unknown) => e);
    expect((err as { code: string }).code).toMatch(/^vqgan\./);
    const missing = await Promise.resolve(app.handlers.commands['settings.set']({ ...app.settings.get(), vqganWeightsPath: path.join(FIXTURES, 'no-such-weights.safetensors') })).catch((e: unknown) => e);
    expect((missing as { code: string }).code).toBe('vqgan.weightsNotFound');
    expect(app.settings.get().vqganWeightsPath).toBe(WEIGHTS);
  });

  it('attaches images with progress; corrupt and non-image bytes are refused by code', async () => {
    for (const [name, file] of [['gradient', 'gradient.png'], ['photo', 'photo.jpg']] as const) {
      const s = sink<ImageAttachPacket>();
      await app.handlers.streams['images.attach']({ dataBase64: readFileSync(path.join(FIXTURES, 'inputs', file)).toString('base64') }, s.sink);
      const last = s.packets.at(-1)!;
      expect(last.type).toBe('success');
      if (last.type !== 'success') return;
      expect(last.cached).toBe(false);
      const stages = new Set(s.packets.flatMap((p) => (p.type === 'progress' ? [p.stage] : [])));
      expect(stages.has('load') && stages.has('preprocess')).toBe(true);
      expect(stages.size).toBeGreaterThan(2); // and the network's own stages
      attached[name] = last.part;
    }
    expect(attached.photo!.mime).toBe('image/jpeg');
    expect(app.images.encodes).toBe(2);

    const bad = async (bytes: Buffer): Promise<string> => {
      const s = sink<ImageAttachPacket>();
      await app.handlers.streams['images.attach']({ dataBase64: bytes.toString('base64') }, s.sink);
      const last = s.packets.at(-1)!;
      return last.type === 'error' ? last.error.code : last.type;
    };
    expect(await bad(Buffer.from('definitely not an image'))).toBe('image.unsupported');
    const png = readFileSync(path.join(FIXTURES, 'inputs', 'gradient.png'));
    expect(await bad(png.subarray(0, 200))).toMatch(/^image\.(corrupt|unsupported)$/);
    expect(app.images.encodes).toBe(2);
  });

  it('text, image, text, image: exactly the expected ids with two 1026-token image blocks; the next turn reuses their cached cells, nothing re-encoded', async () => {
    const chat = await app.handlers.commands['chats.create']({});
    const parts: UserMessagePart[] = [
      { kind: 'text', text: 'Here is a gradient:' },
      attached.gradient!,
      { kind: 'text', text: 'and a photo. Compare them.' },
      attached.photo!,
    ];
    const s1 = sink<GenerationPacket>();
    await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: null, parts, sampling: { maxTokens: 4, seed: 7 } }, s1.sink);
    const done1 = s1.packets.at(-1)!;
    expect(done1.type).toBe('success');
    if (done1.type !== 'success') return;
    expect(app.images.encodes).toBe(2); // both were encoded at attach: the send is a cache hit

    const weightsHash = await app.engine.imageWeightsId(WEIGHTS);
    const codes = (name: string): number[] => Array.from(app.store.images.codes(attached[name]!.imageHash, weightsHash)!);
    expectReferenceCodes(codes('gradient'), 'gradient');
    expectReferenceCodes(codes('photo'), 'photo');

    const text = async (t: string): Promise<number[]> => (await app.engine.promptTokens([{ role: 'user', segments: [{ type: 'text', text: t }] }])).slice(1, -1);
    const image = (name: string): number[] => [BOI_ID, ...codes(name).map((c) => c + 4), EOI_ID];
    const expected = [BOS_ID, ...(await text('Here is a gradient:')), ...image('gradient'), ...(await text('and a photo. Compare them.')), ...image('photo'), EOT_ID];
    expect(image('gradient')).toHaveLength(1026);

    const user1 = done1.message.parentId!;
    const turns1 = await app.generation.promptTurns(chat.id, user1);
    expect(await app.engine.promptTokens(turns1)).toEqual(expected);
    expect(done1.stats.usage.promptTokens).toBe(expected.length);
    // A fresh chat in a host whose sequence held other tokens: at most the BOS is reused.
    expect(done1.stats.usage.evaluatedPromptTokens).toBeGreaterThanOrEqual(expected.length - 1);

    const s2 = sink<GenerationPacket>();
    await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: done1.message.id, parts: [{ kind: 'text', text: 'Which is brighter?' }], sampling: { maxTokens: 4, seed: 7 } }, s2.sink);
    const done2 = s2.packets.at(-1)!;
    expect(done2.type).toBe('success');
    if (done2.type !== 'success') return;
    expect(app.images.encodes).toBe(2); // the history's images came from the codes cache
    const turns2 = await app.generation.promptTurns(chat.id, done2.message.parentId!);
    const ids2 = await app.engine.promptTokens(turns2);
    expect(ids2.slice(0, expected.length - 1)).toEqual(expected.slice(0, -1));
    expect(ids2.slice(-1)).toEqual([EOT_ID]);
    expect(ids2).toContain(EOS_ID);
    expect(done2.stats.usage.promptTokens).toBe(ids2.length);
    // Reused: the cells whole aligned chunks of prompt₁ wrote (kvDeterminism.test.ts); its last
    // chunk and the answer are evaluated again, the images (2052 tokens) are not.
    const aligned = Math.floor((done1.stats.usage.promptTokens - 1) / PROMPT_CHUNK_TOKENS) * PROMPT_CHUNK_TOKENS;
    expect(done2.stats.usage.evaluatedPromptTokens).toBe(ids2.length - aligned);
    expect(done2.stats.usage.evaluatedPromptTokens).toBeLessThan(PROMPT_CHUNK_TOKENS + 20);
    // The context meter counts the same prompt.
    expect(await app.handlers.commands['generation.promptTokens']({ conversationId: chat.id, leafId: done2.message.parentId! })).toEqual({
      promptTokens: ids2.length,
      images: 2,
      contextSize: 4096,
    });
  });

  it('refuses before writing anything: a message over the context, a cancelled encode, no tokenizer', async () => {
    const chat = await app.handlers.commands['chats.create']({});
    const codeOf = async (parts: UserMessagePart[], abort = false): Promise<string> => {
      const s = sink<GenerationPacket>();
      if (abort) s.controller.abort();
      try {
        await app.handlers.streams['messages.send']({ conversationId: chat.id, parentId: null, parts, sampling: { maxTokens: 4 } }, s.sink);
      } catch (err) {
        return (err as { code: string }).code;
      }
      return s.packets.at(-1)?.type ?? 'none';
    };
    // Four images are 4 × 1026 tokens: more than the 4096-token context before any text.
    const four = await codeOf([{ kind: 'text', text: 'Four pictures:' }, ...new Array<UserMessagePart>(4).fill(attached.gradient!)]);
    expect(four).toBe('engine.contextOverflow');

    // A stored image without codes yet, and the send cancelled while it would be encoded.
    const alpha = await app.images.store(readFileSync(path.join(FIXTURES, 'inputs', 'alpha.png')));
    expect(await codeOf([alpha], true)).toBe('vqgan.cancelled');
    expect(app.images.encodes).toBe(2);

    const weights = app.settings.get().vqganWeightsPath;
    await app.handlers.commands['settings.set']({ ...app.settings.get(), vqganWeightsPath: undefined });
    expect(app.handlers.commands['images.capability']({})).toMatchObject({ available: false, reason: { code: 'image.tokenizerMissing' } });
    expect(await codeOf([alpha])).toBe('image.tokenizerMissing');
    await app.handlers.commands['settings.set']({ ...app.settings.get(), vqganWeightsPath: weights });

    expect(app.store.getActivePath(chat.id).items).toEqual([]);
  });

  it('cancels an encode mid-network in the host (vqgan.cancelled), and the host encodes the same image afterwards', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'inputs', 'alpha.png'));
    const s = sink<ImageAttachPacket>();
    const send = s.sink.send;
    s.sink = {
      signal: s.controller.signal,
      send: (p) => {
        send(p);
        if (p.type === 'progress' && p.stage !== 'load' && p.stage !== 'preprocess') s.controller.abort();
      },
    };
    await app.handlers.streams['images.attach']({ dataBase64: bytes.toString('base64') }, s.sink);
    expect(s.packets.at(-1)).toMatchObject({ type: 'error', error: { code: 'vqgan.cancelled' } });
    const before = app.images.encodes;

    const again = sink<ImageAttachPacket>();
    await app.handlers.streams['images.attach']({ dataBase64: bytes.toString('base64') }, again.sink);
    expect(again.packets.at(-1)).toMatchObject({ type: 'success', cached: false });
    expect(app.images.encodes).toBe(before + 1);
    const part = (again.packets.at(-1) as Extract<ImageAttachPacket, { type: 'success' }>).part;
    expectReferenceCodes(await app.images.codesFor(part.imageHash), 'alpha');
  });

  it('a message sent under an answer off the shown branch is prompted with that branch (its images included)', async () => {
    const chat = await app.handlers.commands['chats.create']({});
    const run = async (kind: 'send' | 'edit', args: Record<string, unknown>): Promise<Extract<GenerationPacket, { type: 'success' }>> => {
      const s = sink<GenerationPacket>();
      if (kind === 'send') await app.handlers.streams['messages.send']({ conversationId: chat.id, sampling: { maxTokens: 3, seed: 1 }, ...args } as never, s.sink);
      else await app.handlers.streams['messages.edit']({ sampling: { maxTokens: 3, seed: 1 }, ...args } as never, s.sink);
      const last = s.packets.at(-1)!;
      expect(last.type).toBe('success');
      return last as Extract<GenerationPacket, { type: 'success' }>;
    };
    const first = await run('send', { parentId: null, parts: [{ kind: 'text', text: 'Look:' }, attached.gradient!] });
    // Edit the question to text only: the shown branch no longer has the image.
    await run('edit', { messageId: first.message.parentId!, parts: [{ kind: 'text', text: 'No picture.' }] });
    const off = await run('send', { parentId: first.message.id, parts: [{ kind: 'text', text: 'And again?' }] });
    const turns = await app.generation.promptTurns(chat.id, off.message.parentId!);
    expect(turns.map((t) => t.segments.map((seg) => seg.type))).toEqual([['text', 'image'], ['text'], ['text']]);
    expect(off.stats.usage.promptTokens).toBe((await app.engine.promptTokens(turns)).length);
    expect(off.stats.usage.promptTokens).toBeGreaterThan(1026);
  });
});
