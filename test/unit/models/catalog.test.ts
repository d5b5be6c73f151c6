// The shipped catalog passes its schema, and the schema refuses what would break a download.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogEntry, loadCatalog } from '../../../main/models/catalog.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';

const dir = mkdtempSync(join(tmpdir(), 'catalog-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('model catalog', () => {
  it('loads the shipped catalog: GGUFs for text and a recommended VQ-GAN for images, every id unique', async () => {
    const catalog = await loadCatalog();
    expect(catalog.entries.some((e) => e.kind === 'gguf' && e.recommended && e.enables.includes('text'))).toBe(true);
    expect(catalog.entries.find((e) => e.kind === 'vqgan' && e.recommended)?.repo).toBe('leloy/Anole-7b-v0.1-vqvae-hf');
    expect(catalogEntry(catalog, 'chameleon-7b-q4_k_m').file).toBe('ggml-model-Q4_K_M.gguf');
    expect(() => catalogEntry(catalog, 'nope')).toThrow(expect.objectContaining({ code: 'models.notInCatalog' }));
  });

  it('refuses duplicate ids, paths that climb out of the repo, and broken JSON, naming the field', async () => {
    const base = (await loadCatalog()).entries[0]!;
    await expect(loadCatalog(write('dup.json', { version: 1, entries: [base, base] }))).rejects.toMatchObject({ code: 'models.catalogInvalid', details: { field: 'entries.1.id' } });
    await expect(loadCatalog(write('climb.json', { version: 1, entries: [{ ...base, file: '../../etc/passwd' }] }))).rejects.toMatchObject({ code: 'models.catalogInvalid', details: { field: 'entries.0.file' } });
    await expect(loadCatalog(write('broken.json', '{ version'))).rejects.toMatchObject({ code: 'models.catalogInvalid' });
  });
});

describe('Hub token store', () => {
  it('keeps the token in a 0600 file, or sealed bytes when a sealer is given, and forgets it', async () => {
    const plain = fileTokenStore(dir);
    await plain.set('hf_secret');
    expect(await plain.get()).toBe('hf_secret');
    expect(statSync(join(dir, 'hub-token')).mode & 0o777).toBe(0o600);
    await plain.set(null);
    expect(await plain.get()).toBeNull();

    const sealer = { seal: (t: string) => Buffer.from([...Buffer.from(t)].map((b) => b ^ 0x5a)), open: (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString() };
    const sealed = fileTokenStore(dir, sealer);
    await sealed.set('hf_sealed');
    expect(await sealed.get()).toBe('hf_sealed');
    expect(statSync(join(dir, 'hub-token.sealed')).size).toBe('hf_sealed'.length);
  });
});
