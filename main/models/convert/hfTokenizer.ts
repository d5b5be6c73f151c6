// The GGUF vocabulary llama.cpp's converter derives from an HF Chameleon tokenizer
// (`_set_vocab_gpt2` → `get_vocab_base` and `gguf.SpecialVocab`): one token per id up to the
// config's vocab_size ("[PADn]", UNUSED, for ids the tokenizer lacks), added tokens CONTROL when
// special (or when they look special) else USER_DEFINED, the rest NORMAL; the BPE merges; the
// special ids from tokenizer_config.json (then config.json); add_bos/add_eos and a chat template
// when tokenizer_config.json has them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../contract/errors.ts';

/** llama.cpp's llama_token_type. */
const TYPE = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5 } as const;
export const SPECIAL_TYPES = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'] as const;
/** The GGUF key suffix of each special id (gguf-py's spelling, "seperator" included). */
export const SPECIAL_KEYS: Record<(typeof SPECIAL_TYPES)[number], string> = {
  bos: 'bos_token_id',
  eos: 'eos_token_id',
  unk: 'unknown_token_id',
  sep: 'seperator_token_id',
  pad: 'padding_token_id',
  cls: 'cls_token_id',
  mask: 'mask_token_id',
};

export interface GgufVocabulary {
  tokens: string[];
  types: number[];
  merges: string[];
  special: Partial<Record<(typeof SPECIAL_TYPES)[number], number>>;
  addBos?: boolean;
  addEos?: boolean;
  chatTemplate?: string;
}

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

function bad(dir: string, why: string): AppError {
  return new AppError('models.badWeights', `The checkpoint's tokenizer cannot be read: ${why}.`, { dir });
}

async function json(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** convert_hf_to_gguf's does_token_look_special. */
function looksSpecial(t: string): boolean {
  return (
    ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t) ||
    (t.startsWith('<|') && t.endsWith('|>')) ||
    (t.startsWith('<｜') && t.endsWith('｜>')) ||
    (t.startsWith('<unused') && t.endsWith('>'))
  );
}

/** Pairs (transformers ≥ 4.45) join with a space; a space inside a part becomes U+0120, as gguf-py writes it. */
function mergeText(m: unknown): string {
  if (typeof m === 'string') return m;
  if (Array.isArray(m) && m.length === 2) return m.map((s) => String(s).replaceAll(' ', 'Ġ')).join(' ');
  return '';
}

export async function readHfTokenizer(dir: string, vocabSize: number, config: Record<string, unknown>): Promise<GgufVocabulary> {
  const tokenizer = await json(join(dir, 'tokenizer.json'));
  const model = tokenizer?.['model'] as { vocab?: Record<string, number>; merges?: unknown[] } | undefined;
  if (!model?.vocab || typeof model.vocab !== 'object') throw bad(dir, 'tokenizer.json has no BPE vocabulary');
  const added = (Array.isArray(tokenizer!['added_tokens']) ? tokenizer!['added_tokens'] : []) as AddedToken[];
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab)) byId.set(id, token);
  const addedById = new Map<number, AddedToken>();
  for (const a of added) {
    byId.set(a.id, a.content);
    addedById.set(a.id, a);
  }
  if (Math.max(...byId.keys()) >= vocabSize) throw bad(dir, `it has ids beyond the config's vocab_size ${vocabSize}`);

  const tokens: string[] = [];
  const types: number[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const token = byId.get(id);
    const a = addedById.get(id);
    if (token === undefined) {
      tokens.push(`[PAD${id}]`);
      types.push(TYPE.UNUSED);
    } else if (a && (a.special || looksSpecial(token))) {
      tokens.push(token);
      types.push(TYPE.CONTROL);
    } else if (a) {
      tokens.push(token.replaceAll('▁', ' '));
      types.push(TYPE.USER_DEFINED);
    } else {
      tokens.push(token);
      types.push(TYPE.NORMAL);
    }
  }

  const tokenizerConfig = (await json(join(dir, 'tokenizer_config.json'))) ?? {};
  const special: GgufVocabulary['special'] = {};
  for (const typ of SPECIAL_TYPES) {
    const entry = tokenizerConfig[`${typ}_token`];
    const content = typeof entry === 'string' ? entry : (entry as { content?: unknown } | undefined)?.content;
    const fromConfig = typeof content === 'string' ? added.find((a) => a.content === content)?.id : undefined;
    const id = fromConfig ?? (typeof config[`${typ}_token_id`] === 'number' ? (config[`${typ}_token_id`] as number) : undefined);
    if (id !== undefined && id >= 0 && id < vocabSize) special[typ] = id;
  }
  const vocabulary: GgufVocabulary = { tokens, types, merges: (model.merges ?? []).map(mergeText).filter((m) => m !== ''), special };
  if (typeof tokenizerConfig['add_bos_token'] === 'boolean') vocabulary.addBos = tokenizerConfig['add_bos_token'];
  if (typeof tokenizerConfig['add_eos_token'] === 'boolean') vocabulary.addEos = tokenizerConfig['add_eos_token'];
  if (typeof tokenizerConfig['chat_template'] === 'string') vocabulary.chatTemplate = tokenizerConfig['chat_template'];
  return vocabulary;
}
