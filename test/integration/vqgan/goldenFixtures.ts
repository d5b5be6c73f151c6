// Test helpers for the golden VQ-GAN fixtures in ../shared/fixtures/vqgan (Meta's reference outputs):
// weights via the app's safetensors reader, the architecture straight from a manifest's config (not
// inferred, so these tests check the addon alone), raw-file readers, and the reference's
// normalisation/postprocessing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { NativeTensor, VqganArchitecture } from '../../../main/images/vqgan/nativeAddon.ts';
import { openSafetensors } from '../../../main/images/vqgan/weights/safetensors.ts';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/vqgan');

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** All tensors of a safetensors file, read with the app's own reader. */
export async function readSafetensors(file: string): Promise<NativeTensor[]> {
  const { tensors, close } = await openSafetensors(file);
  try {
    return await Promise.all(tensors.map(async (t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, data: await t.read() })));
  } finally {
    await close();
  }
}

interface ManifestConfig {
  embed_dim: number;
  n_embed: number;
  ddconfig: { z_channels: number; resolution: number; in_channels: number; out_ch: number; ch: number; ch_mult: number[]; num_res_blocks: number; attn_resolutions: number[] };
}

export function archFromConfig(config: ManifestConfig): VqganArchitecture {
  const d = config.ddconfig;
  return {
    resolution: d.resolution,
    inChannels: d.in_channels,
    outCh: d.out_ch,
    ch: d.ch,
    chMult: d.ch_mult,
    numResBlocks: d.num_res_blocks,
    attnResolutions: d.attn_resolutions,
    zChannels: d.z_channels,
    embedDim: config.embed_dim,
    nEmbed: config.n_embed,
    hasEncoder: true,
    hasDecoder: true,
  };
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** One of the fixture configurations: its architecture and the weights it uses. */
export async function loadConfig(name: 'small_noattn' | 'small_attn' | 'narrow' | 'full16'): Promise<{ arch: VqganArchitecture; tensors: NativeTensor[] }> {
  if (name === 'small_noattn' || name === 'small_attn') {
    const manifest = readJson<{ variants: Record<string, { config: ManifestConfig; param_names: string[] }> }>(fixture('small', 'manifest.json'));
    const variant = manifest.variants[name]!;
    const keep = new Set(variant.param_names);
    return { arch: archFromConfig(variant.config), tensors: (await readSafetensors(fixture('small', 'weights.safetensors'))).filter((t) => keep.has(t.name)) };
  }
  const manifest = readJson<{ config: ManifestConfig }>(fixture(name, 'manifest.json'));
  return { arch: archFromConfig(manifest.config), tensors: await readSafetensors(fixture(name, 'weights.safetensors')) };
}

export function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function readI32(file: string): Int32Array {
  const b = readFileSync(file);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The reference normalisation: float32((u8 / 255.0) * 2 - 1) in float64, NCHW. */
export async function pngToInput(file: string): Promise<Float32Array> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const table = Float32Array.from({ length: 256 }, (_, u) => (u / 255.0) * 2 - 1);
  const plane = info.width * info.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = table[data[i * 3 + c]!]!;
  return out;
}

/** Reference postprocessing: clamp, (x+1)/2, ×255, truncate, in float32; returns HWC u8. */
export function toU8(pixels: Float32Array, size: number): Uint8Array {
  const plane = size * size;
  const out = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const x = Math.fround(Math.min(1, Math.max(-1, pixels[c * plane + i]!)));
      out[i * 3 + c] = Math.trunc(Math.fround(Math.fround(Math.fround(x + 1) / 2) * 255));
    }
  }
  return out;
}

export async function pngPixels(file: string): Promise<Uint8Array> {
  const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
