// VqganTokenizer end to end on the native addon with the small golden configs: weights loaded by
// our loader (safetensors with inferred attention, torch zip checkpoint, encoder-only), images
// preprocessed by our pipeline, codes compared with Meta's reference.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { VqganTokenizer } from '../../../main/images/vqgan/vqgan.ts';
import { torchCheckpointBytes } from '../../unit/images/torchZipWriter.ts';
import { FIXTURES, decodeValues, encodeValues, metaYaml, removeTempDirs, tempDir, writeSafetensors } from '../../unit/images/weightFiles.ts';
import type { FloatTensor } from '../../unit/images/weightFiles.ts';

const SMALL = path.join(FIXTURES, 'small');
const CONFIG = { resolution: 64, ch: 32, chMult: [1, 1, 1, 1, 2], numResBlocks: 2, z: 32, embedDim: 32, nEmbed: 512 };
const IMAGES: [string, string][] = [
  ['gradient', 'gradient.png'],
  ['alpha', 'alpha.png'],
  ['photo', 'photo.jpg'],
];

function i32(file: string): Int32Array {
  const b = readFileSync(file);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** Positions whose code differs although the reference's margin there is ≥ 1e-3 (a real bug, not a near-tie). */
function realMismatches(codes: Int32Array, variant: string, name: string): number[] {
  const ref = i32(path.join(SMALL, variant, `${name}.codes.i32`));
  const margin = f32(path.join(SMALL, variant, `${name}.code_margin.f32`));
  expect(codes.length).toBe(ref.length);
  return [...codes.keys()].filter((i) => codes[i] !== ref[i] && margin[i]! >= 1e-3);
}

function fixtureTensors(): FloatTensor[] {
  const buf = readFileSync(path.join(SMALL, 'weights.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, t]) => ({ name, shape: t.shape, values: decodeValues('f16', buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1])) }));
}

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
}

let dir: string;
const open: VqganTokenizer[] = [];
async function tokenizer(weights: string, config?: string): Promise<VqganTokenizer> {
  const t = await VqganTokenizer.open(weights, { backend: 'cpu', ...(config ? { config } : {}) });
  open.push(t);
  return t;
}

beforeAll(() => {
  dir = tempDir('tok');
  const tensors = fixtureTensors();
  writeFileSync(path.join(dir, 'attn.yaml'), metaYaml({ ...CONFIG, attn: [4] }));
  writeFileSync(path.join(dir, 'noattn.yaml'), metaYaml({ ...CONFIG, attn: [] }));
  const noattn = tensors.filter((t) => !/^(encoder\.down|decoder\.up)\.4\.attn\./.test(t.name));
  writeSafetensors(path.join(dir, 'noattn.safetensors'), noattn.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: encodeValues('F32', t.values) })));
  const encOnly = tensors.filter((t) => !t.name.startsWith('decoder.'));
  writeSafetensors(path.join(dir, 'enconly.safetensors'), encOnly.map((t) => ({ name: `model.vqmodel.${t.name}`, dtype: 'F32', shape: t.shape, data: encodeValues('F32', t.values) })));
  const stride = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
  const ck = tensors.map((t) => ({ name: t.name, storage: 'FloatStorage' as const, bytes: encodeValues('F32', t.values), numel: t.values.length, offset: 0, shape: t.shape, stride: stride(t.shape) }));
  writeFileSync(path.join(dir, 'ckpt.ckpt'), torchCheckpointBytes(ck));
});

afterAll(() => {
  for (const t of open) t.dispose();
  removeTempDirs();
});

describe('small configs through our loader and preprocessing', () => {
  it('small_attn: fixture safetensors + vqgan.yaml, codes for direct input and for our own preprocessing', async () => {
    const tok = await tokenizer(path.join(SMALL, 'weights.safetensors'), path.join(dir, 'attn.yaml'));
    expect(tok.arch.attnResolutions).toEqual([4]);
    expect(tok.grid).toEqual([4, 4]);
    const direct = await tok.encodePixels(f32(path.join(SMALL, 'preproc', 'direct.input.f32')));
    expect(realMismatches(direct.codes, 'small_attn', 'direct')).toEqual([]);
    const stages = new Set<string>();
    for (const [name, file] of IMAGES) {
      const out = await tok.encodeImage(path.join(FIXTURES, 'inputs', file), { onProgress: (stage) => stages.add(stage) });
      expect(realMismatches(out.codes, 'small_attn', name), name).toEqual([]);
      expect(out.ms.preprocess).toBeGreaterThan(0);
    }
    // our preprocessing stage plus the addon's own stages
    expect(stages.has('preprocess')).toBe(true);
    expect(stages.size).toBeGreaterThan(1);
  });

  it('small_noattn: attention-free weights are inferred as such; codes match', async () => {
    const tok = await tokenizer(path.join(dir, 'noattn.safetensors'), path.join(dir, 'noattn.yaml'));
    expect(tok.arch.attnResolutions).toEqual([]);
    for (const [name, file] of IMAGES) {
      const out = await tok.encodeImage(path.join(FIXTURES, 'inputs', file));
      expect(realMismatches(out.codes, 'small_noattn', name), name).toEqual([]);
    }
  });

  it('a torch zip checkpoint gives the same codes and decodes to recon.png within ±1', async () => {
    const tok = await tokenizer(path.join(dir, 'ckpt.ckpt'), path.join(dir, 'attn.yaml'));
    expect(tok.format).toBe('torch-zip');
    const out = await tok.encodeImage(path.join(FIXTURES, 'inputs', 'photo.jpg'));
    expect(realMismatches(out.codes, 'small_attn', 'photo')).toEqual([]);
    const { png } = await tok.decodeToPng(i32(path.join(SMALL, 'small_attn', 'photo.codes.i32')));
    const ours = await sharp(png).raw().toBuffer();
    const ref = await sharp(path.join(SMALL, 'small_attn', 'photo.recon.png')).raw().toBuffer();
    let off = 0;
    for (let i = 0; i < ref.length; i++) if (Math.abs(ours[i]! - ref[i]!) > 1) off++;
    expect(off).toBe(0);
  });

  it('encoder-only weights encode, and decode says why it cannot', async () => {
    const tok = await tokenizer(path.join(dir, 'enconly.safetensors'), path.join(dir, 'attn.yaml'));
    expect(tok.arch.hasDecoder).toBe(false);
    const out = await tok.encodeImage(path.join(FIXTURES, 'inputs', 'gradient.png'));
    expect(realMismatches(out.codes, 'small_attn', 'gradient')).toEqual([]);
    expect(await code(tok.decodeToPng(out.codes))).toBe('vqgan.noDecoder');
  });

  it('refuses bad codes, a cancelled encode and a disposed tokenizer with coded errors', async () => {
    const tok = await VqganTokenizer.open(path.join(SMALL, 'weights.safetensors'), { backend: 'cpu', config: path.join(dir, 'attn.yaml') });
    expect(await code(tok.decodeToPng(new Int32Array(15)))).toBe('vqgan.badCodes');
    expect(await code(tok.decodeToPng(Int32Array.from({ length: 16 }, () => 512)))).toBe('vqgan.badCodes');
    const ac = new AbortController();
    ac.abort();
    expect(await code(tok.encodeImage(path.join(FIXTURES, 'inputs', 'gradient.png'), { signal: ac.signal }))).toBe('vqgan.cancelled');
    expect(await code(tok.encodeImage(path.join(FIXTURES, 'inputs', 'nothing-here.png')))).toBe('image.inputUnavailable');
    tok.dispose();
    expect(() => tok.backend).toThrow(AppError);
  });
});
