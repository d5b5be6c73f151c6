import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { validateChameleonGguf } from '../../../main/engine/ggufValidation.ts';
import { readGgufHeader } from '../../../main/engine/ggufHeader.ts';
import { AppError } from '../../../main/contract/errors.ts';
import {
  GENERATED_DIR,
  headerTruncatedGguf,
  noImageVocabularyGguf,
  shiftedImageVocabularyGguf,
  otherArchitectureGguf,
  tinyChameleonGguf,
  truncatedGguf,
} from '../../fixtures/gguf/fixtureModels.ts';

async function codeOf(path: string): Promise<string> {
  try {
    await validateChameleonGguf(path);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
}

describe('validateChameleonGguf', () => {
  it('accepts the Chameleon fixture and reports its shape', async () => {
    const s = await validateChameleonGguf(tinyChameleonGguf());
    expect(s.architecture).toBe('chameleon');
    expect(s.vocabularySize).toBe(65536);
    expect(s.trainContextSize).toBe(4096);
    expect(s.layers).toBe(2);
    expect(s.embeddingLength).toBe(64);
    expect(s.parameters).toBeGreaterThan(8_000_000);
  });

  it('rejects each bad input with its own code', async () => {
    expect(await codeOf(join(GENERATED_DIR, 'does-not-exist.gguf'))).toBe('model.notFound');
    expect(await codeOf(GENERATED_DIR)).toBe('model.notFound');
    expect(await codeOf(truncatedGguf())).toBe('model.corrupt');
    expect(await codeOf(headerTruncatedGguf())).toBe('model.corrupt');
    expect(await codeOf(otherArchitectureGguf())).toBe('model.notChameleon');
    expect(await codeOf(noImageVocabularyGguf())).toBe('model.noImageVocabulary');
    // Image tokens whose names disagree with id = code + 4 would misread every image: refused.
    expect(await codeOf(shiftedImageVocabularyGguf())).toBe('model.noImageVocabulary');
  });

  it('rejects a file that is not GGUF at all', async () => {
    const path = join(GENERATED_DIR, 'not-a-model.gguf');
    writeFileSync(path, 'this is a text file, not a model\n'.repeat(10));
    expect(await codeOf(path)).toBe('model.corrupt');
  });

  /** A GGUF v3 header: magic, version, tensor count, metadata count, then `rest`. */
  function header(tensors: bigint, kvs: bigint, rest: number[] = []): Buffer {
    const b = Buffer.alloc(24 + rest.length);
    b.write('GGUF', 0, 'latin1');
    b.writeUInt32LE(3, 4);
    b.writeBigUInt64LE(tensors, 8);
    b.writeBigUInt64LE(kvs, 16);
    Buffer.from(rest).copy(b, 24);
    return b;
  }
  const u64 = (n: bigint): number[] => [...new Uint8Array(new BigUint64Array([n]).buffer)];
  const u32 = (n: number): number[] => [...new Uint8Array(new Uint32Array([n]).buffer)];

  it('refuses counts the file cannot hold at once, before parsing (issue 10.5)', async () => {
    const key = [...u64(1n), 0x61];
    const cases: [string, Buffer][] = [
      ['kv-2e40', header(0n, 1n << 40n)],
      ['tensors-2e62', header(1n << 62n, 0n)],
      // One entry: an array of 2^40 u8 values, or a string value of 2^40 bytes.
      ['array-2e40', header(0n, 1n, [...key, ...u32(9), ...u32(0), ...u64(1n << 40n)])],
      ['string-2e40', header(0n, 1n, [...key, ...u32(8), ...u64(1n << 40n)])],
      // Arrays of arrays nest deeper than any model needs.
      ['nested', header(0n, 1n, [...key, ...Array.from({ length: 50 }, () => [...u32(9), ...u32(9), ...u64(1n)]).flat()])],
    ];
    for (const [name, bytes] of cases) {
      const path = join(GENERATED_DIR, `hostile-${name}.gguf`);
      writeFileSync(path, bytes);
      expect(await codeOf(path), name).toBe('model.corrupt');
    }
  });

  it('never quotes the bytes of a file that is not GGUF', async () => {
    const path = join(GENERATED_DIR, 'passwd-like.gguf');
    writeFileSync(path, 'root:x:0:0:root:/root:/bin/bash\n');
    const err = await validateChameleonGguf(path).catch((e: unknown) => e as AppError);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('model.corrupt');
    expect((err as AppError).message).not.toMatch(/root|:x:/);
  });

  it('reads the same tensor table as node-llama-cpp on a valid file', async () => {
    const ours = await readGgufHeader(tinyChameleonGguf(), () => false);
    const theirs = await readGgufFileInfo(tinyChameleonGguf(), { logWarnings: false, readTensorInfo: true });
    expect(ours.tensorCount).toBe(Number(theirs.tensorCount));
    expect(ours.tensors.map((t) => [t.name, t.dimensions, t.ggmlType, t.fileOffset])).toEqual(
      theirs.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), Number(t.ggmlType), Number(t.fileOffset)]),
    );
  });
});

