// One entry point for every VQ-GAN weights layout we accept:
//   - a safetensors file with Meta's bare names or HF's `model.vqmodel.` prefix (F32/F16/BF16);
//   - a multi-shard HF checkpoint (`model.safetensors.index.json`): only shards holding VQ tensors
//     are opened, and only their VQ byte ranges are read, never the language model;
//   - Meta's `vqgan.ckpt` (PyTorch zip checkpoint);
//   - a folder holding one of the above.
// The architecture comes from an explicit config, else a config found next to the weights
// (`vqgan.yaml` / HF `config.json`), else it is inferred from the tensor names and shapes. Every
// expected tensor is then checked by name and shape before any weight bytes are read.
import { open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../contract/errors.ts';
import type { NativeTensor, VqganArchitecture } from '../nativeAddon.ts';
import { expectedTensors, inferArchitecture, validateTensors } from './architecture.ts';
import type { ArchitectureOverrides } from './architecture.ts';
import { parseVqganConfig, readVqganConfig } from './config.ts';
import type { LazyTensor } from './safetensors.ts';
import { openSafetensors } from './safetensors.ts';
import { openTorchCheckpoint, sniffCheckpoint } from './torchCheckpoint.ts';

export type WeightsFormat = 'safetensors' | 'safetensors-sharded' | 'torch-zip';

export interface LoadedWeights {
  arch: VqganArchitecture;
  /** bare names, only the tensors the architecture uses */
  tensors: NativeTensor[];
  format: WeightsFormat;
  files: string[];
  /** the config that was honoured, if any */
  configFile?: string;
}

export interface LoadWeightsOptions {
  /** vqgan.yaml or config.json; without it one next to the weights is used if present */
  configPath?: string;
}

const HF_PREFIX = 'model.vqmodel.';
const VQ_ROOTS = ['encoder.', 'decoder.', 'quantize.', 'quant_conv.', 'post_quant_conv.'];

/** Map a stored name to its bare reference name, or undefined when it is not a VQ-GAN tensor. */
export function bareName(stored: string): string | undefined {
  const bare = stored.startsWith(HF_PREFIX) ? stored.slice(HF_PREFIX.length) : stored;
  return VQ_ROOTS.some((r) => bare.startsWith(r)) ? bare : undefined;
}

const isVq = (name: string) => bareName(name) !== undefined;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Resolve a folder to the weights file inside it. */
async function resolveWeightsFile(weightsPath: string): Promise<string> {
  let info;
  try {
    info = await stat(weightsPath);
  } catch {
    throw new AppError('vqgan.weightsNotFound', `VQ-GAN weights not found: ${weightsPath}`, { file: weightsPath });
  }
  if (!info.isDirectory()) return weightsPath;
  for (const name of ['model.safetensors.index.json', 'vqgan.ckpt', 'model.safetensors']) {
    if (await exists(path.join(weightsPath, name))) return path.join(weightsPath, name);
  }
  const single = (await readdir(weightsPath)).filter((f) => f.endsWith('.safetensors'));
  if (single.length === 1) return path.join(weightsPath, single[0]!);
  throw new AppError('vqgan.weightsNotFound', `No VQ-GAN weights (vqgan.ckpt, *.safetensors or model.safetensors.index.json) in ${weightsPath}.`, { file: weightsPath });
}

/** A config sitting next to the weights, used only if it really describes a VQ-GAN. */
async function neighbourConfig(weightsFile: string, format: WeightsFormat): Promise<{ file: string; overrides: ArchitectureOverrides } | undefined> {
  const dir = path.dirname(weightsFile);
  const candidates = format === 'torch-zip' ? ['vqgan.yaml', 'config.json'] : ['config.json', 'vqgan.yaml'];
  for (const name of candidates) {
    const file = path.join(dir, name);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      return { file, overrides: parseVqganConfig(text, file) };
    } catch {
      // an unrelated config.json (e.g. a text-only model): infer instead
    }
  }
  return undefined;
}

interface Listing {
  tensors: LazyTensor[];
  format: WeightsFormat;
  files: string[];
  close: () => Promise<void>;
}

async function listSharded(indexFile: string): Promise<Listing> {
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(await readFile(indexFile, 'utf8')) as { weight_map?: unknown };
  } catch (err) {
    throw new AppError('vqgan.weightsInvalid', `${indexFile} is not a readable safetensors index: ${(err as Error).message}`, { file: indexFile }, { cause: err });
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null) throw new AppError('vqgan.weightsInvalid', `${indexFile} has no weight_map.`, { file: indexFile });
  const byShard = new Map<string, Set<string>>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (!isVq(name)) continue;
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new AppError('vqgan.weightsInvalid', `${indexFile}: bad shard name for ${name}.`, { file: indexFile });
    if (!byShard.has(shard)) byShard.set(shard, new Set());
    byShard.get(shard)!.add(name);
  }
  const closers: (() => Promise<void>)[] = [];
  const tensors: LazyTensor[] = [];
  const files: string[] = [];
  try {
    for (const [shard, names] of byShard) {
      const file = path.join(path.dirname(indexFile), shard);
      const opened = await openSafetensors(file, (n) => names.has(n));
      closers.push(opened.close);
      files.push(file);
      for (const t of opened.tensors) tensors.push(t);
      const found = new Set(opened.tensors.map((t) => t.name));
      const lost = [...names].find((n) => !found.has(n));
      if (lost) throw new AppError('vqgan.missingTensor', `${indexFile} places ${lost} in ${shard}, but that shard does not contain it.`, { tensor: bareName(lost), file });
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err;
  }
  return { tensors, format: 'safetensors-sharded', files, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

async function listFile(file: string): Promise<Listing> {
  if (file.endsWith('.index.json')) return listSharded(file);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new AppError('vqgan.weightsNotFound', `Cannot open the VQ-GAN weights ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  let kind: Awaited<ReturnType<typeof sniffCheckpoint>>;
  try {
    kind = await sniffCheckpoint(fh, file);
    if (kind === 'zip') {
      const tensors = await openTorchCheckpoint(fh, file, (await fh.stat()).size, isVq);
      const handle = fh;
      return { tensors, format: 'torch-zip', files: [file], close: () => handle.close() };
    }
  } catch (err) {
    await fh.close();
    throw err;
  }
  await fh.close();
  if (kind === 'legacy') {
    throw new AppError('vqgan.weightsInvalid', `${file} uses PyTorch's legacy (pre-1.6, non-zip) checkpoint format, which is not supported; re-save it with torch.save (zip format) or convert it to safetensors.`, { file });
  }
  const opened = await openSafetensors(file, isVq);
  return { tensors: opened.tensors, format: 'safetensors', files: [file], close: opened.close };
}

/** What checking the weights (names, shapes, architecture) found, without reading tensor bytes. */
export interface CheckedWeights {
  arch: VqganArchitecture;
  format: WeightsFormat;
  files: string[];
  configFile?: string;
}

async function checkListing(file: string, listing: Listing, opts: LoadWeightsOptions): Promise<{ checked: CheckedWeights; byName: Map<string, LazyTensor> }> {
  const byName = new Map<string, LazyTensor>();
  for (const t of listing.tensors) {
    const bare = bareName(t.name)!;
    if (!byName.has(bare)) byName.set(bare, t);
  }
  let config: { file: string; overrides: ArchitectureOverrides } | undefined;
  if (opts.configPath) config = { file: opts.configPath, overrides: await readVqganConfig(opts.configPath) };
  else config = await neighbourConfig(file, listing.format);

  const shapes = new Map([...byName].map(([n, t]) => [n, t.shape]));
  const arch = inferArchitecture(shapes, config?.overrides);
  validateTensors(arch, shapes);
  const checked: CheckedWeights = { arch, format: listing.format, files: listing.files };
  if (config) checked.configFile = config.file;
  return { checked, byName };
}

/**
 * Check the VQ-GAN weights at `weightsPath` as loading would (format, every tensor's name and
 * shape, the architecture), reading only headers: what the settings screen runs on selection.
 */
export async function checkVqganWeights(weightsPath: string, opts: LoadWeightsOptions = {}): Promise<CheckedWeights> {
  const file = await resolveWeightsFile(weightsPath);
  const listing = await listFile(file);
  try {
    return (await checkListing(file, listing, opts)).checked;
  } finally {
    await listing.close();
  }
}

/** Load, check and read the VQ-GAN weights at `weightsPath` (file or folder). */
export async function loadVqganWeights(weightsPath: string, opts: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const file = await resolveWeightsFile(weightsPath);
  const listing = await listFile(file);
  try {
    const { checked, byName } = await checkListing(file, listing, opts);
    const { arch } = checked;
    const config = checked.configFile;
    const tensors: NativeTensor[] = [];
    for (const name of expectedTensors(arch).keys()) {
      const t = byName.get(name)!;
      tensors.push({ name, shape: t.shape, dtype: t.dtype, data: await t.read() });
    }
    const loaded: LoadedWeights = { arch, tensors, format: listing.format, files: listing.files };
    if (config) loaded.configFile = config;
    return loaded;
  } finally {
    await listing.close();
  }
}
