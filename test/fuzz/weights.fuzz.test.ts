// The VQ-GAN weight readers on hostile files: the restricted unpickler (a security boundary: it
// must never call anything), PyTorch zip checkpoints and safetensors. Near-misses of valid files
// and structured nonsense; each ends in tensors that read, or a vqgan.* code.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { unpickle } from '../../main/images/vqgan/weights/pickleVm.ts';
import { openSafetensors } from '../../main/images/vqgan/weights/safetensors.ts';
import { openTorchCheckpoint } from '../../main/images/vqgan/weights/torchCheckpoint.ts';
import { storagePickle, zipBytes, type CkptTensor } from '../unit/images/torchZipWriter.ts';
import { fuzz, mutated } from './fuzzKit.ts';

const dir = mkdtempSync(join(tmpdir(), 'chameleon-fuzz-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tempFile = (bytes: Uint8Array): string => {
  const path = join(dir, `case-${fileNo++ % 4}.bin`);
  writeFileSync(path, bytes);
  return path;
};

const TENSORS: CkptTensor[] = [
  { name: 'encoder.conv_in.weight', storage: 'FloatStorage', bytes: new Uint8Array(4 * 6), numel: 6, offset: 0, shape: [2, 3], stride: [3, 1] },
  { name: 'quantize.embedding.weight', storage: 'HalfStorage', bytes: new Uint8Array(2 * 4), numel: 4, offset: 0, shape: [4], stride: [1] },
];
const PICKLE = storagePickle(TENSORS);
const checkpoint = (deflate: boolean): Uint8Array =>
  zipBytes([
    { name: 'archive/data.pkl', data: PICKLE, deflate },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...TENSORS.map((t, i) => ({ name: `archive/data/${i}`, data: t.bytes, deflate })),
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);

/** Opcode soup: every opcode the VM knows (and some it does not) with a few argument bytes each. */
const OPCODES = [0x80, 0x95, 0x2e, 0x28, 0x29, 0x5d, 0x7d, 0x8f, 0x74, 0x6c, 0x91, 0x90, 0x64, 0x85, 0x86, 0x87, 0x73, 0x75, 0x61, 0x65, 0x71, 0x72, 0x94, 0x68, 0x6a, 0x30, 0x31, 0x32, 0x63, 0x93, 0x4a, 0x4b, 0x4d, 0x8a, 0x8b, 0x47, 0x58, 0x8c, 0x8d, 0x55, 0x54, 0x43, 0x42, 0x4e, 0x88, 0x89, 0x52, 0x81, 0x62, 0x51, 0x69, 0x00];
const soup = fc
  .array(fc.tuple(fc.constantFrom(...OPCODES), fc.uint8Array({ maxLength: 9 })), { maxLength: 60 })
  .map((ops) => Uint8Array.from([0x80, 2, ...ops.flatMap(([op, args]) => [op, ...args]), 0x2e]));

const safetensors = (header: unknown, data = new Uint8Array(32)): Uint8Array => {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
};
const VALID_ST = safetensors({ __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F16', shape: [8], data_offsets: [16, 32] } });
const anyNumber = fc.oneof(fc.integer({ min: -4, max: 64 }), fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 1e308, -0, 0.5, Number.MAX_SAFE_INTEGER));
const stEntry = fc.record({
  dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'F64'), fc.string(), fc.integer()),
  shape: fc.oneof(fc.array(anyNumber, { maxLength: 5 }), fc.jsonValue()),
  data_offsets: fc.oneof(fc.tuple(anyNumber, anyNumber), fc.jsonValue()),
});

async function readAll(tensors: { read: () => Promise<Uint8Array> }[]): Promise<void> {
  for (const t of tensors) await t.read();
}

describe('fuzz: weight readers', () => {
  it('unpickle: opcode soup and edits of a real state_dict end in a value or vqgan.weightsInvalid', async () => {
    await fuzz('pickle', fc.oneof(soup, mutated(PICKLE)), 3000, ['vqgan.weightsInvalid'], (b) => void unpickle(b));
  });

  it('PyTorch zip checkpoints: edits of stored and deflated archives end in tensors or a vqgan code', async () => {
    const bytes = fc.oneof(mutated(checkpoint(false)), mutated(checkpoint(true)), fc.uint8Array({ maxLength: 128 }));
    await fuzz('torch-zip', bytes, 400, ['vqgan.weightsInvalid', 'vqgan.missingTensor'], async (b) => {
      const path = tempFile(b);
      const fh = await open(path, 'r');
      try {
        await readAll(await openTorchCheckpoint(fh, path, b.length, () => true));
      } finally {
        await fh.close();
      }
    });
  });

  it('safetensors: random headers and edits of a valid file end in tensors or vqgan.weightsInvalid', async () => {
    const bytes = fc.oneof(
      mutated(VALID_ST),
      fc.dictionary(fc.string({ maxLength: 6 }), stEntry, { maxKeys: 4 }).map((h) => safetensors(h)),
      fc.jsonValue().map((h) => safetensors(h)),
      fc.uint8Array({ maxLength: 40 }),
    );
    await fuzz('safetensors', bytes, 400, ['vqgan.weightsInvalid'], async (b) => {
      const opened = await openSafetensors(tempFile(b));
      try {
        await readAll(opened.tensors);
      } finally {
        await opened.close();
      }
    });
  });
});
