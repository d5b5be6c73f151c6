// The validator accepts a 73 728-token vocabulary only as the app's image-alias layout (its marker
// key and the alias names at 65536–73727) and refuses every other size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_ALIAS_FIRST_ID, IMAGE_ALIAS_GGUF_KEY, IMAGE_CODEBOOK_SIZE, imageAliasName } from '../../../main/contract/chameleon.ts';
import { validateChameleonGguf } from '../../../main/engine/ggufValidation.ts';
import { writeChameleonGguf, type ChameleonGgufOverrides } from '../../fixtures/gguf/chameleonGguf.ts';
import { TINY_PARAMS } from '../../fixtures/gguf/fixtureModels.ts';

const ALIASES = Array.from({ length: IMAGE_CODEBOOK_SIZE }, (_, c) => imageAliasName(c));
const MARKER = { [IMAGE_ALIAS_GGUF_KEY]: { type: 'u32', value: IMAGE_ALIAS_FIRST_ID } } as const;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chameleon-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gguf(name: string, overrides: ChameleonGgufOverrides): string {
  const path = join(dir, `${name}.gguf`);
  // 32 columns keep each file small; the validator reads the header only
  writeChameleonGguf(path, { ...TINY_PARAMS, embd: 32, heads: 2, headsKv: 2, ff: 64, layers: 1 }, overrides);
  return path;
}

async function refusal(path: string): Promise<{ code: string; message: string }> {
  return validateChameleonGguf(path).then(
    () => ({ code: 'ok', message: '' }),
    (err: { code: string; message: string }) => ({ code: err.code, message: err.message }),
  );
}

describe('validateChameleonGguf and image aliases', () => {
  it('accepts the alias layout (marker + alias names) and says so', async () => {
    const s = await validateChameleonGguf(gguf('aliased', { extraTokens: ALIASES, metadata: MARKER }));
    expect(s).toMatchObject({ imageAliases: true, vocabularySize: 73728 });
  });

  it('reports a plain Chameleon as text-only', async () => {
    expect(await validateChameleonGguf(gguf('plain', {}))).toMatchObject({ imageAliases: false, vocabularySize: 65536 });
  });

  it('refuses 73 728 tokens without the marker: the size alone proves nothing', async () => {
    expect(await refusal(gguf('no-marker', { extraTokens: ALIASES }))).toMatchObject({ code: 'model.noImageVocabulary', message: expect.stringContaining('65536') });
  });

  it('refuses the marker with other tokens in the alias range', async () => {
    const wrong = ALIASES.map((n, c) => (c === 4000 ? '<something-else>' : n));
    expect(await refusal(gguf('wrong-names', { extraTokens: wrong, metadata: MARKER }))).toMatchObject({ code: 'model.noImageVocabulary', message: expect.stringContaining('69536') });
  });

  it('refuses the marker on a vocabulary of another size, and any other size without it', async () => {
    expect(await refusal(gguf('marker-short', { extraTokens: ALIASES.slice(0, 100), metadata: MARKER }))).toMatchObject({ code: 'model.noImageVocabulary' });
    expect(await refusal(gguf('marker-plain', { metadata: MARKER }))).toMatchObject({ code: 'model.noImageVocabulary' });
    expect(await refusal(gguf('bigger', { extraTokens: ['<a>', '<b>'] }))).toMatchObject({ code: 'model.noImageVocabulary', message: expect.stringContaining('65538') });
  });

  it('refuses a marker that names another first id', async () => {
    const other = { [IMAGE_ALIAS_GGUF_KEY]: { type: 'u32', value: 70000 } } as const;
    expect(await refusal(gguf('marker-other-id', { extraTokens: ALIASES, metadata: other }))).toMatchObject({ code: 'model.noImageVocabulary' });
  });
});
