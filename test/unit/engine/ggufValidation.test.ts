import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateChameleonGguf } from '../../../main/engine/ggufValidation.ts';
import { AppError } from '../../../main/contract/errors.ts';
import {
  GENERATED_DIR,
  headerTruncatedGguf,
  noImageVocabularyGguf,
  shiftedImageVocabularyGguf,
  otherArchitectureGguf,
  tinyChameleonGguf,
  truncatedGguf,
} from '../../fixtures/gguf/fixtureModels.ts';

async function codeOf(path: string): Promise<string> {
  try {
    await validateChameleonGguf(path);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
}

describe('validateChameleonGguf', () => {
  it('accepts the Chameleon fixture and reports its shape', async () => {
    const s = await validateChameleonGguf(tinyChameleonGguf());
    expect(s.architecture).toBe('chameleon');
    expect(s.vocabularySize).toBe(65536);
    expect(s.trainContextSize).toBe(4096);
    expect(s.layers).toBe(2);
    expect(s.embeddingLength).toBe(64);
    expect(s.parameters).toBeGreaterThan(8_000_000);
  });

  it('rejects each bad input with its own code', async () => {
    expect(await codeOf(join(GENERATED_DIR, 'does-not-exist.gguf'))).toBe('model.notFound');
    expect(await codeOf(GENERATED_DIR)).toBe('model.notFound');
    expect(await codeOf(truncatedGguf())).toBe('model.corrupt');
    expect(await codeOf(headerTruncatedGguf())).toBe('model.corrupt');
    expect(await codeOf(otherArchitectureGguf())).toBe('model.notChameleon');
    expect(await codeOf(noImageVocabularyGguf())).toBe('model.noImageVocabulary');
    // Image tokens whose names disagree with id = code + 4 would misread every image: refused.
    expect(await codeOf(shiftedImageVocabularyGguf())).toBe('model.noImageVocabulary');
  });

  it('rejects a file that is not GGUF at all', async () => {
    const path = join(GENERATED_DIR, 'not-a-model.gguf');
    writeFileSync(path, 'this is a text file, not a model\n'.repeat(10));
    expect(await codeOf(path)).toBe('model.corrupt');
  });
});
