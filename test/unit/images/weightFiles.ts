// Test helpers that write VQ-GAN weight files in the layouts the loader accepts: safetensors (any
// dtype, optional name prefix, shards with an index) and float conversions between F16/BF16/F32.
// The source tensors come from the golden fixtures' small config, so every derived file can be
// compared value by value with Meta's reference weights.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../../shared/fixtures/vqgan');

export interface FloatTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

const created: string[] = [];

export function tempDir(tag: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vqgan-${tag}-`));
  created.push(dir);
  return dir;
}

/** Remove every folder tempDir made (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormals must survive
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even (as torch does). */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const bits = u32[0]!;
  return ((bits + 0x7fff + ((bits >> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** Decode stored little-endian bytes of dtype into float32 values. */
export function decodeValues(dtype: 'f32' | 'f16' | 'bf16', data: Uint8Array): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dtype === 'f32') return Float32Array.from({ length: data.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  const conv = dtype === 'f16' ? halfToFloat : bf16ToFloat;
  return Float32Array.from({ length: data.length / 2 }, (_, i) => conv(view.getUint16(i * 2, true)));
}

export function encodeValues(dtype: 'F32' | 'BF16', values: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.slice().buffer);
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, floatToBf16(v), true));
  return out;
}

export interface RawEntry {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Hand-written safetensors, laid out like the fixtures (README §8): header padded to 8 bytes, no gaps. */
export function safetensorsBytes(entries: RawEntry[], metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.data.length] };
    offset += e.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...entries.map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.length))]);
}

export function writeSafetensors(file: string, entries: RawEntry[]): string {
  writeFileSync(file, safetensorsBytes(entries));
  return file;
}

/** Write a small yaml in Meta's vqgan.yaml layout. */
export function metaYaml(c: { resolution: number; ch: number; chMult: number[]; numResBlocks: number; attn: number[]; z: number; embedDim: number; nEmbed: number }): string {
  return `model:
  base_learning_rate: 4.5e-06
  target: taming.models.vqgan.VQModel
  params:
    embed_dim: ${c.embedDim}
    n_embed: ${c.nEmbed}
    ddconfig:
      double_z: false
      z_channels: ${c.z}
      resolution: ${c.resolution}
      in_channels: 3
      out_ch: 3
      ch: ${c.ch}
      ch_mult:
${c.chMult.map((m) => `      - ${m}`).join('\n')}
      num_res_blocks: ${c.numResBlocks}
      attn_resolutions: [${c.attn.join(', ')}]
      dropout: 0.0
    lossconfig:
      target: taming.modules.losses.vqperceptual.DummyLoss  # deleted by the reference
`;
}
