// "Convert a checkpoint" as the Models screen runs it: an HF checkpoint folder becomes an installed
// Q8_0 GGUF (converted, then quantized by llama.cpp) with the unquantized intermediate gone; a
// folder that is no checkpoint fails with the reason kept until dismissed.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogSchema, type ModelsSnapshot } from '../../../main/contract/models.ts';
import { readGgufHeader } from '../../../main/engine/ggufHeader.ts';
import { validateChameleonGguf } from '../../../main/engine/ggufValidation.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';
import { ModelLibrary } from '../../../main/models/ModelLibrary.ts';
import { writeChameleonGguf, type ChameleonGgufParams } from '../../fixtures/gguf/chameleonGguf.ts';
import { writeHfCheckpoint } from '../../fixtures/gguf/hfCheckpoint.ts';
import { STANDARD_ENTRIES, tempDataDir, until } from '../../fixtures/hub/hubRepos.ts';

const P: ChameleonGgufParams = { embd: 64, layers: 1, heads: 4, headsKv: 4, ff: 128, contextLength: 4096, weights: 'f32', seed: 43 };
let work: string;
let checkpoint: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'chameleon-convert-job-'));
  const reference = join(work, 'reference.gguf');
  writeChameleonGguf(reference, P, { randomNorms: 0.1 });
  checkpoint = join(work, 'chameleon-tiny-hf');
  await writeHfCheckpoint(reference, checkpoint, P);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function open() {
  const data = tempDataDir();
  const snapshots: ModelsSnapshot[] = [];
  const service = await ModelLibrary.open({
    dataDir: data.dir,
    catalog: CatalogSchema.parse({ version: 1, entries: STANDARD_ENTRIES }),
    endpoint: 'http://127.0.0.1:9',
    tokens: fileTokenStore(data.dir),
    inUse: () => [],
    onChanged: (s) => snapshots.push(s),
    progressIntervalMs: 0,
  });
  return { service, snapshots, close: async () => (await service.dispose(), data.remove()) };
}

describe('ModelLibrary.convertCheckpoint', () => {
  it('converts, quantizes with llama.cpp and installs the GGUF', async () => {
    const { service, snapshots, close } = await open();
    try {
      const started = service.convertCheckpoint(checkpoint, 'Q8_0');
      expect(started).toMatchObject({ kind: 'convert', state: 'running', name: 'chameleon-tiny-hf Q8_0' });
      await until(() => service.snapshot().installed.some((m) => m.id === started.id), 120_000);
      const model = service.installed(started.id);
      expect(model).toMatchObject({ kind: 'gguf', quant: 'Q8_0', enables: ['text'], linked: false });
      expect((await validateChameleonGguf(model.path)).architecture).toBe('chameleon');
      expect((await readGgufHeader(model.path, (k) => k === 'general.file_type')).metadata.get('general.file_type')).toBe(7);
      expect(readdirSync(dirname(model.path))).toEqual(['chameleon-tiny-hf.Q8_0.gguf']);
      const states = new Set(snapshots.flatMap((s) => s.transforms.map((t) => t.state)));
      expect([...states].sort()).toEqual(['quantizing', 'running']);
    } finally {
      await close();
    }
  });

  it('keeps the reason when the folder is no checkpoint, until dismissed', async () => {
    const { service, close } = await open();
    try {
      const empty = join(work, 'not-a-checkpoint');
      mkdirSync(empty, { recursive: true });
      const started = service.convertCheckpoint(empty, 'Q4_K_M');
      await until(() => service.snapshot().transforms[0]?.state === 'failed');
      expect(service.snapshot().transforms[0]?.error?.code).toBe('models.badWeights');
      await service.cancelTransform(started.id);
      expect(service.snapshot().transforms).toEqual([]);
    } finally {
      await close();
    }
  });
});
