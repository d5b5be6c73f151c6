// The GGUF header reader on hostile headers: structured ones (any value type, counts and lengths
// from 0 to 2^64-1, nested arrays) and byte-level edits of them. Each ends in a summary or
// model.corrupt, in time linear in its size.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseGgufHeader } from '../../main/engine/ggufHeader.ts';
import { fuzz, mutated } from './fuzzKit.ts';

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const str = (s: string): number[] => {
  const b = [...Buffer.from(s, 'utf8')];
  return [...u64(BigInt(b.length)), ...b];
};

/** A count: usually honest, sometimes anything a u64 holds. */
const count = (honest: number): fc.Arbitrary<bigint> =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(BigInt(honest)) }, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(2n ** 40n, 2n ** 62n, 2n ** 64n - 1n));

const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** One value of GGUF type `type` (or an unknown type), as bytes. */
const value = (depth: number): fc.Arbitrary<number[]> =>
  fc.integer({ min: 0, max: depth < 3 ? 14 : 12 }).chain((type): fc.Arbitrary<number[]> => {
    if (type === 8) return fc.string({ maxLength: 12 }).map(str);
    if (type === 9)
      return fc
        .integer({ min: 0, max: 12 })
        .chain((elementType) =>
          fc.array(elementType === 9 ? value(depth + 1) : elementType === 8 ? fc.string({ maxLength: 6 }).map(str) : fc.uint8Array({ minLength: SIZES[elementType] ?? 1, maxLength: SIZES[elementType] ?? 1 }).map((b) => [...b]), { maxLength: 6 }).chain((items) =>
            count(items.length).map((n) => [...u32(elementType), ...u64(n), ...items.flat()]),
          ),
        );
    return fc.uint8Array({ minLength: SIZES[type] ?? 0, maxLength: SIZES[type] ?? 4 }).map((b) => [...b]);
  });

const kv = fc.tuple(fc.constantFrom('general.architecture', 'general.alignment', 'tokenizer.ggml.tokens', 'chameleon.block_count', 'x'), value(0)).map(([k, v]) => [...str(k), ...v]);
const tensor = fc
  .tuple(fc.string({ maxLength: 8 }), fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 5 }), fc.integer({ min: 0, max: 40 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map(([name, dims, type, offset]) => [...str(name), ...u32(dims.length), ...dims.flatMap(u64), ...u32(type), ...u64(offset)]);

const header = fc
  .tuple(fc.constantFrom(3, 3, 3, 2, 1, 4), fc.array(kv, { maxLength: 6 }), fc.array(tensor, { maxLength: 4 }), fc.uint8Array({ maxLength: 64 }))
  .chain(([version, kvs, tensors, tail]) =>
    fc.tuple(count(tensors.length), count(kvs.length)).map(([nt, nk]) =>
      Uint8Array.from([...Buffer.from('GGUF'), ...u32(version), ...u64(nt), ...u64(nk), ...kvs.flat(), ...tensors.flat(), ...tail]),
    ),
  );

describe('fuzz: GGUF header reader', () => {
  it('ends every hostile header in a header or model.corrupt', async () => {
    const bytes = fc.oneof(header, header.chain(mutated), fc.uint8Array({ maxLength: 64 }));
    await fuzz('gguf', bytes, 3000, ['model.corrupt'], (b) => parseGgufHeader(b, b.length, () => true));
  });
});
