// Shared set-up for the model download tests: a loopback Hub serving the tiny Chameleon GGUF and
// the narrow VQ-GAN weights under catalog-like repos, and a catalog file pointing at them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CatalogEntry } from '../../../main/contract/models.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import type { HubServer } from '../../fixtures/hub/hubServer.ts';

export const VQGAN_WEIGHTS = resolve(import.meta.dirname, '../../../../shared/fixtures/vqgan/narrow/weights.safetensors');

export function ggufBytes(): Buffer {
  return readFileSync(tinyChameleonGguf());
}

export function vqganBytes(): Buffer {
  return readFileSync(VQGAN_WEIGHTS);
}

const LICENCE = 'Chameleon Research License (Meta)';

export function entry(id: string, repo: string, file: string, kind: CatalogEntry['kind'], extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id,
    name: `Test ${id}`,
    kind,
    repo,
    revision: 'main',
    file,
    bytes: 20_000_000,
    licence: LICENCE,
    enables: kind === 'gguf' ? ['text'] : ['imagesIn'],
    gated: false,
    recommended: false,
    ...extra,
  };
}

/** The repos most tests use: a GGUF, the VQ-GAN weights (in a sub-folder), a gated copy. */
export function serveStandardRepos(hub: HubServer): void {
  hub.setRepo('test/chameleon-tiny-GGUF', { files: [{ path: 'tiny.Q8.gguf', bytes: ggufBytes() }] });
  hub.setRepo('test/vqgan', { files: [{ path: 'tokenizer/weights.safetensors', bytes: vqganBytes() }] });
  hub.setRepo('meta/gated-chameleon', { files: [{ path: 'tiny.gguf', bytes: ggufBytes() }], gatedToken: 'hf_right_token' });
}

export const STANDARD_ENTRIES: CatalogEntry[] = [
  entry('tiny-gguf', 'test/chameleon-tiny-GGUF', 'tiny.Q8.gguf', 'gguf', { quant: 'F16', recommended: true }),
  entry('tiny-vqgan', 'test/vqgan', 'tokenizer/weights.safetensors', 'vqgan', { recommended: true }),
  entry('gated-gguf', 'meta/gated-chameleon', 'tiny.gguf', 'gguf', { gated: true }),
];

export function writeCatalog(dir: string, entries: CatalogEntry[]): string {
  const path = join(dir, 'catalog.json');
  writeFileSync(path, JSON.stringify({ version: 1, entries }));
  return path;
}

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'chameleon-models-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
