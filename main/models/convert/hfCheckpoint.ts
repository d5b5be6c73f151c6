// A Hugging Face Chameleon checkpoint folder (config.json, model.safetensors or shards named by
// model.safetensors.index.json): its hyper-parameters and its tensors, opened lazily — each shard's
// header is read, tensor bytes only by range when the converter asks (a 30B checkpoint is 70 GB).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../contract/errors.ts';
import { openSafetensors, type LazyTensor } from '../../images/vqgan/weights/safetensors.ts';

/** The architectures llama.cpp's converter registers for Chameleon. */
const ARCHITECTURES = new Set(['ChameleonForConditionalGeneration', 'ChameleonForCausalLM']);

export interface ChameleonHparams {
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  headsKv: number;
  contextLength: number;
  ropeTheta: number;
  rmsNormEps: number;
  vocabSize: number;
  swinNorm: boolean;
}

export interface HfCheckpoint {
  dir: string;
  hparams: ChameleonHparams;
  /** every tensor but the VQ-GAN's (`model.vqmodel.*`, which the GGUF does not carry), shard by shard */
  tensors: LazyTensor[];
  /** bytes of all shards (for the disk-space check and progress) */
  bytes: number;
  close(): Promise<void>;
}

function bad(dir: string, why: string): AppError {
  return new AppError('models.badWeights', `The folder is not a Chameleon checkpoint in Hugging Face layout: ${why}.`, { dir });
}

async function readJson(path: string, dir: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw bad(dir, `${what} is missing`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw bad(dir, `${what} is not a JSON object`);
}

function int(config: Record<string, unknown>, key: string, dir: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad(dir, `config.json has no valid ${key}`);
  return v;
}

export function chameleonHparams(config: Record<string, unknown>, dir: string): ChameleonHparams {
  const archs = config['architectures'];
  if (!Array.isArray(archs) || !archs.some((a) => ARCHITECTURES.has(String(a)))) throw bad(dir, 'config.json does not name a Chameleon architecture');
  const heads = int(config, 'num_attention_heads', dir);
  const hp: ChameleonHparams = {
    hiddenSize: int(config, 'hidden_size', dir),
    intermediateSize: int(config, 'intermediate_size', dir),
    layers: int(config, 'num_hidden_layers', dir),
    heads,
    headsKv: int(config, 'num_key_value_heads', dir, heads),
    contextLength: int(config, 'max_position_embeddings', dir),
    ropeTheta: typeof config['rope_theta'] === 'number' ? config['rope_theta'] : 10000,
    rmsNormEps: typeof config['rms_norm_eps'] === 'number' ? config['rms_norm_eps'] : 1e-5,
    vocabSize: int(config, 'vocab_size', dir),
    swinNorm: config['swin_norm'] === true,
  };
  if (hp.hiddenSize % heads !== 0 || heads % hp.headsKv !== 0) throw bad(dir, 'config.json has inconsistent head counts');
  return hp;
}

/** Shard file names in the order the index names them first (llama.cpp's converter walks them so). */
async function shardNames(dir: string): Promise<string[]> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (await stat(indexPath).then(() => true, () => false)) {
    const map = (await readJson(indexPath, dir, 'model.safetensors.index.json'))['weight_map'];
    if (typeof map !== 'object' || map === null) throw bad(dir, 'the index has no weight_map');
    const names = [...new Set(Object.values(map as Record<string, unknown>).map(String))].sort();
    if (!names.every((n) => /^[\w.-]+\.safetensors$/.test(n))) throw bad(dir, 'the index names a shard outside the folder');
    return names;
  }
  return ['model.safetensors'];
}

export async function openHfCheckpoint(dir: string): Promise<HfCheckpoint> {
  const hparams = chameleonHparams(await readJson(join(dir, 'config.json'), dir, 'config.json'), dir);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(closers.splice(0).map((c) => c().catch(() => undefined)));
  };
  try {
    const tensors: LazyTensor[] = [];
    let bytes = 0;
    for (const name of await shardNames(dir)) {
      const file = join(dir, name);
      bytes += await stat(file).then((s) => s.size, () => {
        throw bad(dir, `${name} is missing`);
      });
      const shard = await openSafetensors(file, (t) => !t.startsWith('model.vqmodel.')).catch((err: unknown) => {
        throw new AppError('models.badWeights', `${name} is not a safetensors file the app can read.`, { dir, file: name }, { cause: err });
      });
      closers.push(shard.close);
      tensors.push(...shard.tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    }
    return { dir, hparams, tensors, bytes, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
