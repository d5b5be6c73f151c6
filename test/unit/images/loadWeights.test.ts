// Weights loading against the golden fixtures' small config: every layout we accept is written
// from the fixture tensors, loaded, and compared value by value with the fixture.
import { closeSync, openSync, readFileSync, writeFileSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { expectedTensors } from '../../../main/images/vqgan/weights/architecture.ts';
import { loadVqganWeights } from '../../../main/images/vqgan/weights/loadWeights.ts';
import type { LoadedWeights } from '../../../main/images/vqgan/weights/loadWeights.ts';
import { storagePickle, torchCheckpointBytes } from './torchZipWriter.ts';
import type { CkptTensor, Pickler } from './torchZipWriter.ts';
import { FIXTURES, decodeValues, encodeValues, metaYaml, removeTempDirs, safetensorsBytes, tempDir, writeSafetensors } from './weightFiles.ts';
import type { FloatTensor, RawEntry } from './weightFiles.ts';

const SMALL = path.join(FIXTURES, 'small', 'weights.safetensors');
const SMALL_CONFIG = { resolution: 64, ch: 32, chMult: [1, 1, 1, 1, 2], numResBlocks: 2, attn: [4], z: 32, embedDim: 32, nEmbed: 512 };

/** The fixture's tensors, read independently of the loader (F16 → float32). */
function fixtureTensors(): FloatTensor[] {
  const buf = readFileSync(SMALL);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, t]) => {
      expect(t.dtype).toBe('F16');
      return { name, shape: t.shape, values: decodeValues('f16', buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1])) };
    });
}

const FIXTURE = fixtureTensors();
afterAll(removeTempDirs);
const isAttn4 = (name: string) => /^(encoder\.down|decoder\.up)\.4\.attn\./.test(name);

function entries(tensors: FloatTensor[], dtype: 'F32' | 'BF16', prefix = ''): RawEntry[] {
  return tensors.map((t) => ({ name: prefix + t.name, dtype, shape: t.shape, data: encodeValues(dtype, t.values) }));
}

/** Every loaded tensor equals the fixture's values (after rounding them to `dtype`). */
function expectMatchesFixture(w: LoadedWeights, dtype: 'f32' | 'f16' | 'bf16', pick: (name: string) => boolean = () => true): void {
  const want = FIXTURE.filter((t) => pick(t.name));
  expect(w.tensors.map((t) => t.name).sort()).toEqual(want.map((t) => t.name).sort());
  const byName = new Map(w.tensors.map((t) => [t.name, t]));
  for (const t of want) {
    const got = byName.get(t.name)!;
    expect(got.dtype, t.name).toBe(dtype);
    expect(got.shape, t.name).toEqual(t.shape);
    const values = decodeValues(dtype, got.data);
    const expected = dtype === 'bf16' ? decodeValues('bf16', encodeValues('BF16', t.values)) : t.values;
    expect(values.length, t.name).toBe(expected.length);
    // a plain loop: vitest's deep equality is far too slow for a million values
    let differing = 0;
    for (let i = 0; i < values.length; i++) if (!Object.is(values[i], expected[i])) differing++;
    expect(differing, t.name).toBe(0);
  }
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> | undefined }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return { code: (err as AppError).code, details: (err as AppError).details };
}

describe('safetensors', () => {
  it('loads the fixture (F16, bare names) and infers the architecture from names and shapes', async () => {
    const w = await loadVqganWeights(SMALL);
    expect(w.format).toBe('safetensors');
    // no config: resolution defaults to 512, so the level-4 attention sits at 512/16 = 32
    expect(w.arch).toEqual({ resolution: 512, inChannels: 3, outCh: 3, ch: 32, chMult: [1, 1, 1, 1, 2], numResBlocks: 2, attnResolutions: [32], zChannels: 32, embedDim: 32, nEmbed: 512, hasEncoder: true, hasDecoder: true });
    expect(w.tensors).toHaveLength(339);
    expectMatchesFixture(w, 'f16');
  });

  it('honours a vqgan.yaml (resolution 64 → attention at 4) and a HF config.json', async () => {
    const dir = tempDir('cfg');
    const yaml = path.join(dir, 'vqgan.yaml');
    writeFileSync(yaml, metaYaml(SMALL_CONFIG));
    const w = await loadVqganWeights(SMALL, { configPath: yaml });
    expect(w.arch.resolution).toBe(64);
    expect(w.arch.attnResolutions).toEqual([4]);
    expect(w.configFile).toBe(yaml);

    const json = path.join(dir, 'config.json');
    writeFileSync(json, JSON.stringify({ model_type: 'chameleon', vq_config: { embed_dim: 32, num_embeddings: 512, double_latent: false, latent_channels: 32, resolution: 64, in_channels: 3, base_channels: 32, channel_multiplier: [1, 1, 1, 1, 2], num_res_blocks: 2, attn_resolutions: [4] } }));
    const h = await loadVqganWeights(SMALL, { configPath: json });
    expect(h.arch).toEqual(w.arch);
  });

  it('reads F32 and BF16 files to the same values', async () => {
    const dir = tempDir('dtypes');
    const f32 = await loadVqganWeights(writeSafetensors(path.join(dir, 'f32.safetensors'), entries(FIXTURE, 'F32')));
    expectMatchesFixture(f32, 'f32');
    const bf16 = await loadVqganWeights(writeSafetensors(path.join(dir, 'bf16.safetensors'), entries(FIXTURE, 'BF16')));
    expectMatchesFixture(bf16, 'bf16');
  });

  it('infers no extra attention when the level-4 attention tensors are absent (small_noattn)', async () => {
    const dir = tempDir('noattn');
    const w = await loadVqganWeights(writeSafetensors(path.join(dir, 'w.safetensors'), entries(FIXTURE.filter((t) => !isAttn4(t.name)), 'F32')));
    expect(w.arch.attnResolutions).toEqual([]);
    expect(w.tensors).toHaveLength(289);
  });

  it('loads an encoder-only HF checkpoint (no decoder: decode will be refused later)', async () => {
    const dir = tempDir('enc');
    const keep = FIXTURE.filter((t) => !t.name.startsWith('decoder.'));
    const w = await loadVqganWeights(writeSafetensors(path.join(dir, 'model.safetensors'), entries(keep, 'F32', 'model.vqmodel.')));
    expect(w.arch.hasEncoder).toBe(true);
    expect(w.arch.hasDecoder).toBe(false);
    expectMatchesFixture(w, 'f32', (n) => !n.startsWith('decoder.') && n !== 'post_quant_conv.weight' && n !== 'post_quant_conv.bias');
  });

  it('reads only the VQ tensors of a multi-shard HF checkpoint, never the language model bytes', async () => {
    const dir = tempDir('shards');
    const vq = entries(FIXTURE, 'F32', 'model.vqmodel.');
    const half = Math.floor(vq.length / 2);
    const lm: RawEntry[] = [
      { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [16, 4], data: new Uint8Array(128) },
      { name: 'model.layers.0.mlp.qweight', dtype: 'I8', shape: [8], data: new Uint8Array(8) },
    ];
    writeFileSync(path.join(dir, 'model-00001-of-00002.safetensors'), safetensorsBytes([...lm, ...vq.slice(0, half)]));
    // shard 2 declares a 3 GiB LM tensor after the VQ tensors; the file is sparse, so reading it would be slow and huge
    const big = 3 * 1024 ** 3;
    const shard2 = path.join(dir, 'model-00002-of-00002.safetensors');
    const rest = vq.slice(half);
    const bytes = safetensorsBytes([...rest, { name: 'lm_head.weight', dtype: 'F32', shape: [big / 4], data: new Uint8Array(0) }]);
    // patch the LM tensor's end offset to claim the 3 GiB, then extend the file sparsely
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: number[] }>;
    const start = header['lm_head.weight']!.data_offsets[0]!;
    header['lm_head.weight']!.data_offsets = [start, start + big];
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(shard2, Buffer.concat([len, Buffer.from(json), bytes.subarray(8 + n)]));
    const fd = openSync(shard2, 'r+');
    ftruncateSync(fd, 8 + json.length + start + big);
    closeSync(fd);
    const weightMap: Record<string, string> = {};
    for (const e of [...lm, ...vq.slice(0, half)]) weightMap[e.name] = 'model-00001-of-00002.safetensors';
    for (const e of [...rest, { name: 'lm_head.weight' }]) weightMap[e.name] = 'model-00002-of-00002.safetensors';
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: big }, weight_map: weightMap }));

    const rssBefore = process.memoryUsage().rss;
    const w = await loadVqganWeights(dir); // the folder resolves to the index
    expect(w.format).toBe('safetensors-sharded');
    expect(w.files).toHaveLength(2);
    expectMatchesFixture(w, 'f32');
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 ** 2);
  });
});

/** The fixture as torch tensors: FloatStorage, one storage per tensor; the codebook stored transposed (a strided view). */
function ckptTensors(tensors: FloatTensor[]): CkptTensor[] {
  return tensors.map((t) => {
    const contiguousStride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    if (t.name === 'quantize.embedding.weight') {
      const [rows, cols] = t.shape as [number, number];
      const transposed = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) transposed[c * rows + r] = t.values[r * cols + c]!;
      return { name: t.name, storage: 'FloatStorage', bytes: new Uint8Array(transposed.buffer), numel: rows * cols, offset: 0, shape: t.shape, stride: [1, rows] };
    }
    return { name: t.name, storage: 'FloatStorage', bytes: encodeValues('F32', t.values), numel: t.values.length, offset: 0, shape: t.shape, stride: contiguousStride };
  });
}

describe('PyTorch zip checkpoint (vqgan.ckpt)', () => {
  it('reads state_dict through the restricted unpickler, with vqgan.yaml from the same folder', async () => {
    const dir = tempDir('ckpt');
    // the training loss's tensors sit in the real ckpt too; they must be ignored
    const loss: FloatTensor = { name: 'loss.discriminator.main.0.weight', shape: [2, 3], values: new Float32Array(6) };
    writeFileSync(path.join(dir, 'vqgan.ckpt'), torchCheckpointBytes(ckptTensors([...FIXTURE, loss])));
    writeFileSync(path.join(dir, 'vqgan.yaml'), metaYaml(SMALL_CONFIG));
    const w = await loadVqganWeights(dir);
    expect(w.format).toBe('torch-zip');
    expect(w.configFile).toBe(path.join(dir, 'vqgan.yaml'));
    expect(w.arch.resolution).toBe(64);
    expect(w.arch.attnResolutions).toEqual([4]);
    expectMatchesFixture(w, 'f32');
  });

  it('accepts an archive folder named after the file, and a shared storage with offsets', async () => {
    const dir = tempDir('ckpt2');
    const all = ckptTensors(FIXTURE);
    // put the two quant_conv tensors into one storage: bias after weight
    const w0 = all.find((t) => t.name === 'quant_conv.weight')!;
    const b0 = all.find((t) => t.name === 'quant_conv.bias')!;
    const shared = new Uint8Array(w0.bytes.length + b0.bytes.length);
    shared.set(w0.bytes);
    shared.set(b0.bytes, w0.bytes.length);
    w0.bytes = shared;
    w0.numel = w0.numel + b0.numel;
    b0.bytes = shared;
    b0.numel = w0.numel;
    b0.offset = w0.numel - 32;
    const file = path.join(dir, 'my_vqgan.ckpt');
    writeFileSync(file, torchCheckpointBytes(all, { prefix: 'my_vqgan' }));
    expectMatchesFixture(await loadVqganWeights(file), 'f32');
  });

  it('inflates deflated entries (a checkpoint re-zipped by another tool)', async () => {
    const dir = tempDir('deflate');
    const file = path.join(dir, 'vqgan.ckpt');
    const bytes = torchCheckpointBytes(ckptTensors(FIXTURE), { deflate: true });
    writeFileSync(file, bytes);
    expect(bytes.length).toBeLessThan(FIXTURE.reduce((n, t) => n + t.values.length * 4, 0));
    expectMatchesFixture(await loadVqganWeights(file), 'f32');
  });

  it('refuses a state_dict entry that is not a tensor (e.g. a pickled os.system call); other globals stay inert', async () => {
    const dir = tempDir('evil');
    const tensors = ckptTensors(FIXTURE);
    const call = (p: Pickler) => p.global('os', 'system').op(0x28).str('echo pwned').op(0x74, 0x52);
    // an unknown global outside state_dict is never called and does not matter
    writeFileSync(path.join(dir, 'a.ckpt'), torchCheckpointBytes(tensors, { pickle: storagePickle(tensors, { topLevel: (p) => call(p.str('callbacks')) }) }));
    expectMatchesFixture(await loadVqganWeights(path.join(dir, 'a.ckpt')), 'f32');
    // the same call as the value of a needed tensor is refused, naming it
    writeFileSync(path.join(dir, 'b.ckpt'), torchCheckpointBytes(tensors, { pickle: storagePickle(tensors, { stateDict: (p) => call(p.str('encoder.conv_in.weight')) }) }));
    const e = await codeOf(loadVqganWeights(path.join(dir, 'b.ckpt')));
    expect(e.code).toBe('vqgan.weightsInvalid');
    expect(e.details?.['tensor']).toBe('encoder.conv_in.weight');
  });

  it('refuses legacy (non-zip) torch files and unknown pickle opcodes with coded errors', async () => {
    const dir = tempDir('legacy');
    writeFileSync(path.join(dir, 'old.ckpt'), Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    const legacy = await codeOf(loadVqganWeights(path.join(dir, 'old.ckpt')));
    expect(legacy.code).toBe('vqgan.weightsInvalid');
    expect(legacy.details?.['file']).toBe(path.join(dir, 'old.ckpt'));
    const badPickle = Uint8Array.from([0x80, 0x02, 0x7d, 0x56, 0x2e]); // 'V' (UNICODE, text protocol) is not supported
    writeFileSync(path.join(dir, 'op.ckpt'), torchCheckpointBytes([], { pickle: badPickle }));
    expect((await codeOf(loadVqganWeights(path.join(dir, 'op.ckpt')))).code).toBe('vqgan.weightsInvalid');
  });
});

describe('format detection', () => {
  it('does not mistake a safetensors header length starting 0x80 0x02 for a legacy torch pickle', async () => {
    const dir = tempDir('sniff');
    const conv = FIXTURE.find((t) => t.name === 'encoder.conv_in.weight')!;
    const entry = [{ name: conv.name, dtype: 'F32', shape: conv.shape, data: encodeValues('F32', conv.values) }];
    // pad the metadata until the header is exactly 0x0280 bytes: the file then starts 80 02 00 …
    let pad = '';
    let bytes = safetensorsBytes(entry, { pad });
    while (Number(bytes.readBigUInt64LE(0)) < 0x280) bytes = safetensorsBytes(entry, { pad: (pad += 'x') });
    expect([bytes[0], bytes[1]]).toEqual([0x80, 0x02]);
    writeFileSync(path.join(dir, 'w.safetensors'), bytes);
    // it is read as safetensors: the error is about the missing codebook, not the format
    expect((await codeOf(loadVqganWeights(path.join(dir, 'w.safetensors')))).code).toBe('vqgan.missingTensor');
  });
});

describe('coded errors', () => {
  it('names a missing tensor', async () => {
    const dir = tempDir('missing');
    const file = writeSafetensors(path.join(dir, 'w.safetensors'), entries(FIXTURE.filter((t) => t.name !== 'encoder.down.1.block.0.conv2.weight'), 'F32'));
    const e = await codeOf(loadVqganWeights(file));
    expect(e.code).toBe('vqgan.missingTensor');
    expect(e.details?.['tensor']).toBe('encoder.down.1.block.0.conv2.weight');
  });

  it('names a mis-shaped tensor, and a config that disagrees with the tensors', async () => {
    const dir = tempDir('shape');
    const bad = FIXTURE.map((t) => (t.name === 'decoder.up.2.block.1.conv1.weight' ? { ...t, shape: [32, 32, 9, 1] } : t));
    const e = await codeOf(loadVqganWeights(writeSafetensors(path.join(dir, 'w.safetensors'), entries(bad, 'F32'))));
    expect(e.code).toBe('vqgan.badTensorShape');
    expect(e.details?.['tensor']).toBe('decoder.up.2.block.1.conv1.weight');

    const yaml = path.join(dir, 'vqgan.yaml');
    writeFileSync(yaml, metaYaml({ ...SMALL_CONFIG, z: 64 }));
    const c = await codeOf(loadVqganWeights(SMALL, { configPath: yaml }));
    expect(c.code).toBe('vqgan.badTensorShape');
    expect(c.details?.['tensor']).toBe('encoder.conv_out.weight');
  });

  it('reports missing files, non-weights and broken configs', async () => {
    const dir = tempDir('errors');
    expect((await codeOf(loadVqganWeights(path.join(dir, 'nope.safetensors')))).code).toBe('vqgan.weightsNotFound');
    expect((await codeOf(loadVqganWeights(dir))).code).toBe('vqgan.weightsNotFound');
    writeFileSync(path.join(dir, 'junk.safetensors'), 'this is not a weights file at all');
    expect((await codeOf(loadVqganWeights(path.join(dir, 'junk.safetensors')))).code).toBe('vqgan.weightsInvalid');
    const whole = readFileSync(SMALL);
    writeFileSync(path.join(dir, 'cut.safetensors'), whole.subarray(0, whole.length - 1000));
    expect((await codeOf(loadVqganWeights(path.join(dir, 'cut.safetensors')))).code).toBe('vqgan.weightsInvalid');
    writeFileSync(path.join(dir, 'text.safetensors'), safetensorsBytes([{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [2], data: new Uint8Array(4) }]));
    expect((await codeOf(loadVqganWeights(path.join(dir, 'text.safetensors')))).code).toBe('vqgan.weightsInvalid');

    writeFileSync(path.join(dir, 'broken.yaml'), 'model:\n  params:\n    ddconfig: [1, 2\n  nonsense');
    expect((await codeOf(loadVqganWeights(SMALL, { configPath: path.join(dir, 'broken.yaml') }))).code).toBe('vqgan.configInvalid');
    writeFileSync(path.join(dir, 'doublez.yaml'), metaYaml(SMALL_CONFIG).replace('double_z: false', 'double_z: true'));
    expect((await codeOf(loadVqganWeights(SMALL, { configPath: path.join(dir, 'doublez.yaml') }))).code).toBe('vqgan.configInvalid');
    expect((await codeOf(loadVqganWeights(SMALL, { configPath: path.join(dir, 'absent.yaml') }))).code).toBe('vqgan.configInvalid');
  });
});

describe('architecture', () => {
  it('lists exactly the reference state-dict names for the full config (293 tensors, 68,718,467 parameters)', () => {
    const full = expectedTensors({ resolution: 512, inChannels: 3, outCh: 3, ch: 128, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, attnResolutions: [], zChannels: 256, embedDim: 256, nEmbed: 8192, hasEncoder: true, hasDecoder: true });
    expect(full.size).toBe(293);
    expect([...full.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0)).toBe(68_718_467);
    const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'full16', 'manifest.json'), 'utf8')) as { param_names_and_shapes: { name: string; shape: number[] }[] };
    expect([...full].map(([name, shape]) => ({ name, shape })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([...manifest.param_names_and_shapes].sort((a, b) => a.name.localeCompare(b.name)));
  });
});
