// Optional architecture configs: Meta's `vqgan.yaml` (model.params.ddconfig + n_embed/embed_dim)
// and Hugging Face's `config.json` (`vq_config`, or a stand-alone ChameleonVQVAE config). The yaml
// is a plain block-style document, so a small subset parser (mappings, block and flow lists,
// scalars, comments) reads it without a YAML dependency.
import { readFile } from 'node:fs/promises';
import { AppError } from '../../../contract/errors.ts';
import type { ArchitectureOverrides } from './architecture.ts';

type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };

function scalar(raw: string): Yaml {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true' || s === 'True') return true;
  if (s === 'false' || s === 'False') return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (s.startsWith('[') && s.endsWith(']')) {
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map(scalar);
  }
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  return s;
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

/** Parse the block-style YAML subset used by taming-transformers configs. */
export function parseSimpleYaml(text: string): Yaml {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const noComment = raw.replace(/(^|\s)#.*$/, '');
    if (noComment.trim() === '' || noComment.trim() === '---') return;
    lines.push({ indent: noComment.length - noComment.trimStart().length, text: noComment.trim(), no: i + 1 });
  });
  let pos = 0;
  const fail = (l: Line | undefined, why: string) => new Error(`line ${l?.no ?? 'end'}: ${why}`);

  function block(indent: number): Yaml {
    const first = lines[pos];
    if (!first || first.indent < indent) return null;
    if (first.text.startsWith('- ') || first.text === '-') {
      const list: Yaml[] = [];
      while (pos < lines.length && lines[pos]!.indent === first.indent && lines[pos]!.text.startsWith('-')) {
        const item = lines[pos]!.text.slice(1).trim();
        pos++;
        list.push(item === '' ? block(first.indent + 1) : scalar(item));
      }
      return list;
    }
    const map: { [k: string]: Yaml } = {};
    while (pos < lines.length && lines[pos]!.indent === first.indent) {
      const l = lines[pos]!;
      const m = /^([^:]+):(?:\s+(.*))?$/.exec(l.text);
      if (!m) throw fail(l, `expected "key: value", got "${l.text}"`);
      pos++;
      const key = m[1]!.trim();
      const rest = m[2]?.trim() ?? '';
      if (rest !== '') map[key] = scalar(rest);
      else {
        const next = lines[pos];
        // a block list may sit at the same indent as its key
        if (next && (next.indent > l.indent || (next.indent === l.indent && next.text.startsWith('-')))) map[key] = block(next.indent);
        else map[key] = null;
      }
    }
    if (pos < lines.length && lines[pos]!.indent > first.indent) throw fail(lines[pos], 'unexpected indentation');
    return map;
  }
  const doc = block(0);
  if (pos < lines.length) throw fail(lines[pos], 'unexpected content');
  return doc;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown, key: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new AppError('vqgan.configInvalid', `Config value ${key} must be an integer, got ${JSON.stringify(v)}.`);
  return v;
}

function nums(v: unknown, key: string): number[] | undefined {
  if (v === undefined) return undefined;
  if (v === null) return []; // HF writes attn_resolutions: null for "none"
  if (!Array.isArray(v)) throw new AppError('vqgan.configInvalid', `Config value ${key} must be a list of integers.`);
  return v.map((x, i) => num(x, `${key}[${i}]`)!);
}

function compact(o: ArchitectureOverrides): ArchitectureOverrides {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ArchitectureOverrides;
}

/** Overrides from Meta's yaml structure (`model.params` with `ddconfig`), or a bare params/ddconfig object. */
export function overridesFromMeta(doc: unknown): ArchitectureOverrides | undefined {
  const params = obj(obj(obj(doc)?.['model'])?.['params']) ?? obj(doc);
  const dd = obj(params?.['ddconfig']);
  if (!params || !dd) return undefined;
  if (dd['double_z'] === true) throw new AppError('vqgan.configInvalid', 'double_z: true is not a Chameleon VQ-GAN (its encoder outputs z_channels, not 2×).');
  return compact({
    resolution: num(dd['resolution'], 'resolution'),
    inChannels: num(dd['in_channels'], 'in_channels'),
    outCh: num(dd['out_ch'], 'out_ch'),
    ch: num(dd['ch'], 'ch'),
    chMult: nums(dd['ch_mult'], 'ch_mult'),
    numResBlocks: num(dd['num_res_blocks'], 'num_res_blocks'),
    attnResolutions: nums(dd['attn_resolutions'], 'attn_resolutions'),
    zChannels: num(dd['z_channels'], 'z_channels'),
    embedDim: num(params['embed_dim'], 'embed_dim'),
    nEmbed: num(params['n_embed'], 'n_embed'),
  });
}

/** Overrides from HF's ChameleonVQVAEConfig (top level or under `vq_config`). */
export function overridesFromHf(doc: unknown): ArchitectureOverrides | undefined {
  const root = obj(doc);
  const vq = obj(root?.['vq_config']) ?? root;
  if (!vq || !('base_channels' in vq || 'channel_multiplier' in vq || 'num_embeddings' in vq)) return undefined;
  if (vq['double_latent'] === true) throw new AppError('vqgan.configInvalid', 'double_latent: true is not a Chameleon VQ-GAN.');
  return compact({
    resolution: num(vq['resolution'], 'resolution'),
    inChannels: num(vq['in_channels'], 'in_channels'),
    outCh: num(vq['out_channels'], 'out_channels'),
    ch: num(vq['base_channels'], 'base_channels'),
    chMult: nums(vq['channel_multiplier'], 'channel_multiplier'),
    numResBlocks: num(vq['num_res_blocks'], 'num_res_blocks'),
    attnResolutions: nums(vq['attn_resolutions'], 'attn_resolutions'),
    zChannels: num(vq['latent_channels'], 'latent_channels'),
    embedDim: num(vq['embed_dim'], 'embed_dim'),
    nEmbed: num(vq['num_embeddings'], 'num_embeddings'),
  });
}

/** Parse a config's text (JSON or YAML, Meta or HF layout) into architecture overrides. */
export function parseVqganConfig(text: string, source = 'config'): ArchitectureOverrides {
  let doc: unknown;
  try {
    doc = text.trimStart().startsWith('{') ? JSON.parse(text) : parseSimpleYaml(text);
  } catch (err) {
    throw new AppError('vqgan.configInvalid', `${source} is not valid JSON/YAML: ${(err as Error).message}`, { file: source }, { cause: err });
  }
  const found = overridesFromMeta(doc) ?? overridesFromHf(doc);
  if (!found) throw new AppError('vqgan.configInvalid', `${source} has neither model.params.ddconfig (vqgan.yaml) nor a vq_config (Hugging Face config.json).`, { file: source });
  return found;
}

export async function readVqganConfig(file: string): Promise<ArchitectureOverrides> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('vqgan.configInvalid', `Cannot read the VQ-GAN config ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return parseVqganConfig(text, file);
}
