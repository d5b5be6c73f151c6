// The VQ-GAN's shape, either from an explicit config or inferred from the tensors themselves, and
// the complete list of tensors (name → shape) that shape implies. The real vqgan.yaml ships only
// with the gated weights, so inference from names and shapes is the normal path; a config, when
// given, wins and the tensors are checked against it.
import { AppError } from '../../../contract/errors.ts';
import type { VqganArchitecture } from '../nativeAddon.ts';

export type ShapeMap = ReadonlyMap<string, readonly number[]>;

/** Values a config file may fix; anything left undefined is inferred from the tensors. */
export type ArchitectureOverrides = Partial<Omit<VqganArchitecture, 'hasEncoder' | 'hasDecoder'>>;

export const DEFAULT_RESOLUTION = 512;
const GROUPS = 32;

function resBlock(out: Map<string, number[]>, p: string, cin: number, cout: number): void {
  out.set(`${p}.norm1.weight`, [cin]);
  out.set(`${p}.norm1.bias`, [cin]);
  out.set(`${p}.conv1.weight`, [cout, cin, 3, 3]);
  out.set(`${p}.conv1.bias`, [cout]);
  out.set(`${p}.norm2.weight`, [cout]);
  out.set(`${p}.norm2.bias`, [cout]);
  out.set(`${p}.conv2.weight`, [cout, cout, 3, 3]);
  out.set(`${p}.conv2.bias`, [cout]);
  if (cin !== cout) {
    out.set(`${p}.nin_shortcut.weight`, [cout, cin, 1, 1]);
    out.set(`${p}.nin_shortcut.bias`, [cout]);
  }
}

function attnBlock(out: Map<string, number[]>, p: string, c: number): void {
  out.set(`${p}.norm.weight`, [c]);
  out.set(`${p}.norm.bias`, [c]);
  for (const m of ['q', 'k', 'v', 'proj_out']) {
    out.set(`${p}.${m}.weight`, [c, c, 1, 1]);
    out.set(`${p}.${m}.bias`, [c]);
  }
}

function conv(out: Map<string, number[]>, p: string, cout: number, cin: number, k: number): void {
  out.set(`${p}.weight`, [cout, cin, k, k]);
  out.set(`${p}.bias`, [cout]);
}

/** Every tensor the taming-transformers VQModel has for `arch`, in state_dict order. */
export function expectedTensors(arch: VqganArchitecture): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const { ch, chMult, numResBlocks: nrb, attnResolutions: attn } = arch;
  const levels = chMult.length;
  if (arch.hasEncoder) {
    conv(out, 'encoder.conv_in', ch, arch.inChannels, 3);
    let res = arch.resolution;
    let blockIn = ch;
    for (let i = 0; i < levels; i++) {
      const blockOut = ch * chMult[i]!;
      for (let j = 0; j < nrb; j++) {
        resBlock(out, `encoder.down.${i}.block.${j}`, blockIn, blockOut);
        blockIn = blockOut;
        if (attn.includes(res)) attnBlock(out, `encoder.down.${i}.attn.${j}`, blockIn);
      }
      if (i !== levels - 1) {
        conv(out, `encoder.down.${i}.downsample.conv`, blockIn, blockIn, 3);
        res = Math.floor(res / 2);
      }
    }
    resBlock(out, 'encoder.mid.block_1', blockIn, blockIn);
    attnBlock(out, 'encoder.mid.attn_1', blockIn);
    resBlock(out, 'encoder.mid.block_2', blockIn, blockIn);
    out.set('encoder.norm_out.weight', [blockIn]);
    out.set('encoder.norm_out.bias', [blockIn]);
    conv(out, 'encoder.conv_out', arch.zChannels, blockIn, 3);
  }
  if (arch.hasDecoder) {
    let blockIn = ch * chMult[levels - 1]!;
    let res = Math.floor(arch.resolution / 2 ** (levels - 1));
    conv(out, 'decoder.conv_in', blockIn, arch.zChannels, 3);
    resBlock(out, 'decoder.mid.block_1', blockIn, blockIn);
    attnBlock(out, 'decoder.mid.attn_1', blockIn);
    resBlock(out, 'decoder.mid.block_2', blockIn, blockIn);
    for (let i = levels - 1; i >= 0; i--) {
      const blockOut = ch * chMult[i]!;
      for (let j = 0; j < nrb + 1; j++) {
        resBlock(out, `decoder.up.${i}.block.${j}`, blockIn, blockOut);
        blockIn = blockOut;
        if (attn.includes(res)) attnBlock(out, `decoder.up.${i}.attn.${j}`, blockIn);
      }
      if (i !== 0) {
        conv(out, `decoder.up.${i}.upsample.conv`, blockIn, blockIn, 3);
        res *= 2;
      }
    }
    out.set('decoder.norm_out.weight', [blockIn]);
    out.set('decoder.norm_out.bias', [blockIn]);
    conv(out, 'decoder.conv_out', arch.outCh, blockIn, 3);
  }
  out.set('quantize.embedding.weight', [arch.nEmbed, arch.embedDim]);
  if (arch.hasEncoder) conv(out, 'quant_conv', arch.embedDim, arch.zChannels, 1);
  if (arch.hasDecoder) conv(out, 'post_quant_conv', arch.zChannels, arch.embedDim, 1);
  return out;
}

function need(shapes: ShapeMap, name: string, dim: number): number {
  const s = shapes.get(name);
  if (!s) throw new AppError('vqgan.missingTensor', `The VQ-GAN weights have no tensor ${name}.`, { tensor: name });
  const v = s[dim];
  if (v === undefined) throw new AppError('vqgan.badTensorShape', `Tensor ${name} has shape [${s.join(', ')}], too few dimensions.`, { tensor: name, shape: [...s] });
  return v;
}

/** Sorted distinct integers N found as `${prefix}N.` in the names. */
function indices(names: readonly string[], prefix: string): number[] {
  const found = new Set<number>();
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)\./.exec(n.slice(prefix.length));
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b);
}

function divide(total: number, ch: number, what: string): number {
  if (total % ch !== 0) throw new AppError('vqgan.weightsInvalid', `${what} has ${total} channels, not a multiple of the base width ${ch}.`);
  return total / ch;
}

/**
 * Work out the architecture from tensor names and shapes, with `overrides` (from a config file)
 * taking precedence. Whether the encoder and decoder exist is always decided by the tensors.
 */
export function inferArchitecture(shapes: ShapeMap, overrides: ArchitectureOverrides = {}): VqganArchitecture {
  const names = [...shapes.keys()];
  const hasEncoder = names.some((n) => n.startsWith('encoder.'));
  const hasDecoder = names.some((n) => n.startsWith('decoder.'));
  if (!hasEncoder && !hasDecoder) {
    throw new AppError('vqgan.weightsInvalid', 'The file holds no VQ-GAN encoder or decoder tensors (expected names like encoder.conv_in.weight or model.vqmodel.encoder.conv_in.weight).');
  }
  const nEmbed = overrides.nEmbed ?? need(shapes, 'quantize.embedding.weight', 0);
  const embedDim = overrides.embedDim ?? need(shapes, 'quantize.embedding.weight', 1);

  let ch: number;
  let chMult: number[];
  let numResBlocks: number;
  let zChannels: number;
  const side = hasEncoder ? 'encoder' : 'decoder';
  if (hasEncoder) {
    ch = overrides.ch ?? need(shapes, 'encoder.conv_in.weight', 0);
    const levels = indices(names, 'encoder.down.');
    chMult = overrides.chMult ?? levels.map((i) => divide(need(shapes, `encoder.down.${i}.block.0.conv1.weight`, 0), ch, `encoder.down.${i}`));
    numResBlocks = overrides.numResBlocks ?? indices(names, 'encoder.down.0.block.').length;
    zChannels = overrides.zChannels ?? need(shapes, 'encoder.conv_out.weight', 0);
  } else {
    ch = overrides.ch ?? need(shapes, 'decoder.conv_out.weight', 1);
    const levels = indices(names, 'decoder.up.');
    chMult = overrides.chMult ?? levels.map((i) => divide(need(shapes, `decoder.up.${i}.block.0.conv1.weight`, 0), ch, `decoder.up.${i}`));
    numResBlocks = overrides.numResBlocks ?? indices(names, 'decoder.up.0.block.').length - 1;
    zChannels = overrides.zChannels ?? need(shapes, 'decoder.conv_in.weight', 1);
  }
  const resolution = overrides.resolution ?? DEFAULT_RESOLUTION;
  let attnResolutions = overrides.attnResolutions;
  if (!attnResolutions) {
    const levelPrefix = hasEncoder ? 'encoder.down.' : 'decoder.up.';
    attnResolutions = chMult
      .map((_, i) => i)
      .filter((i) => names.some((n) => n.startsWith(`${levelPrefix}${i}.attn.`)))
      .map((i) => Math.floor(resolution / 2 ** i));
  }
  const arch: VqganArchitecture = {
    resolution,
    inChannels: overrides.inChannels ?? (hasEncoder ? need(shapes, 'encoder.conv_in.weight', 1) : 3),
    outCh: overrides.outCh ?? (hasDecoder ? need(shapes, 'decoder.conv_out.weight', 0) : 3),
    ch,
    chMult,
    numResBlocks,
    attnResolutions,
    zChannels,
    embedDim,
    nEmbed,
    hasEncoder,
    hasDecoder,
  };
  checkArchitecture(arch, side);
  return arch;
}

function checkArchitecture(a: VqganArchitecture, side: string): void {
  const bad = (msg: string) => new AppError('vqgan.configInvalid', `Unusable VQ-GAN architecture (${side}): ${msg}`, { architecture: a });
  const positive = (v: number) => Number.isInteger(v) && v > 0;
  if (a.chMult.length === 0) throw bad('no resolution levels found');
  for (const [k, v] of Object.entries({ resolution: a.resolution, inChannels: a.inChannels, outCh: a.outCh, ch: a.ch, zChannels: a.zChannels, embedDim: a.embedDim, nEmbed: a.nEmbed, numResBlocks: a.numResBlocks })) {
    if (!positive(v)) throw bad(`${k} = ${v}`);
  }
  if (!a.chMult.every(positive)) throw bad(`ch_mult = [${a.chMult.join(', ')}]`);
  if (a.resolution % 2 ** (a.chMult.length - 1) !== 0) throw bad(`resolution ${a.resolution} is not divisible by 2^${a.chMult.length - 1}`);
  // GroupNorm always uses 32 groups
  for (const m of [1, ...a.chMult]) if ((a.ch * m) % GROUPS !== 0) throw bad(`channel count ${a.ch * m} is not a multiple of ${GROUPS}`);
}

/** Check every expected tensor exists with the expected shape (extra tensors are ignored, like the reference's strict=False). */
export function validateTensors(arch: VqganArchitecture, shapes: ShapeMap): void {
  for (const [name, shape] of expectedTensors(arch)) {
    const got = shapes.get(name);
    if (!got) throw new AppError('vqgan.missingTensor', `The VQ-GAN weights have no tensor ${name}.`, { tensor: name });
    if (got.length !== shape.length || got.some((v, i) => v !== shape[i])) {
      throw new AppError('vqgan.badTensorShape', `Tensor ${name} has shape [${got.join(', ')}], expected [${shape.join(', ')}].`, { tensor: name, shape: [...got], expected: shape });
    }
  }
}
