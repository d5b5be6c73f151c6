// The image-alias transform's other paths on the tiny fixture: no head (alias rows copy 4+c), the
// refusals, and a cancel that leaves nothing behind.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_CODEBOOK_SIZE, IMAGE_TOKEN_FIRST_ID, VOCAB_SIZE } from '../../../main/contract/chameleon.ts';
import { readGgufHeader } from '../../../main/engine/ggufHeader.ts';
import { openImageHead } from '../../../main/models/gguf/imageHead.ts';
import { makeImageCapableGguf } from '../../../main/models/gguf/makeImageCapableGguf.ts';
import { otherArchitectureGguf, tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { writeSafetensors } from '../../fixtures/gguf/safetensorsWriter.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chameleon-alias-refusals-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bytes(path: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(length);
    await fh.read(b, 0, length, position);
    return b;
  } finally {
    await fh.close();
  }
}

describe('makeImageCapableGguf without a head, and its refusals', () => {
  it('copies rows 4..8195 into the alias rows of both tensors, then refuses to transform its own output again', async () => {
    const target = join(dir, 'aliased.gguf');
    const s = await makeImageCapableGguf({ source: tinyChameleonGguf(), target });
    expect(s.imageAliases).toBe(true);
    const [src, out] = await Promise.all([readGgufHeader(tinyChameleonGguf(), () => false), readGgufHeader(target, () => false)]);
    const row = 64 * 2; // F16 rows of 64
    for (const name of ['token_embd.weight', 'output.weight']) {
      const a = src.tensors.find((t) => t.name === name)!.fileOffset;
      const b = out.tensors.find((t) => t.name === name)!.fileOffset;
      expect((await bytes(target, b + VOCAB_SIZE * row, IMAGE_CODEBOOK_SIZE * row)).equals(await bytes(tinyChameleonGguf(), a + IMAGE_TOKEN_FIRST_ID * row, IMAGE_CODEBOOK_SIZE * row)), name).toBe(true);
    }
    await expect(makeImageCapableGguf({ source: target, target: join(dir, 'twice.gguf') })).rejects.toMatchObject({ code: 'models.alreadyImageCapable' });
    expect(existsSync(join(dir, 'twice.gguf.part'))).toBe(false);
  });

  it('refuses a file that is not Chameleon, and never replaces an existing file', async () => {
    await expect(makeImageCapableGguf({ source: otherArchitectureGguf(), target: join(dir, 'llama.gguf') })).rejects.toMatchObject({ code: 'model.notChameleon' });
    const existing = join(dir, 'existing.gguf');
    writeFileSync(existing, 'keep me');
    await expect(makeImageCapableGguf({ source: tinyChameleonGguf(), target: existing })).rejects.toMatchObject({ code: 'models.alreadyInstalled' });
  });

  it('refuses a head whose rows do not match the model', async () => {
    const head = join(dir, 'wide-head.safetensors');
    writeSafetensors(head, [{ name: 'lm_head.weight', dtype: 'F32', shape: [IMAGE_CODEBOOK_SIZE, 128], bytes: new Uint8Array(IMAGE_CODEBOOK_SIZE * 128 * 4) }]);
    const opened = await openImageHead(head);
    await expect(makeImageCapableGguf({ source: tinyChameleonGguf(), target: join(dir, 'wide.gguf'), head: opened })).rejects.toMatchObject({ code: 'models.badWeights' });
    await opened.close();
    expect(existsSync(join(dir, 'wide.gguf.part'))).toBe(false);
  });

  it('stops on cancel part-way and leaves neither the file nor its partial', async () => {
    const target = join(dir, 'cancelled.gguf');
    const controller = new AbortController();
    let sawProgress = 0;
    const run = makeImageCapableGguf({
      source: tinyChameleonGguf(),
      target,
      signal: controller.signal,
      onProgress: (done, total) => {
        sawProgress = done / total;
        if (done > total / 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'models.cancelled' });
    expect(sawProgress).toBeGreaterThan(0.3);
    expect(sawProgress).toBeLessThan(1);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.part`)).toBe(false);
  });
});
