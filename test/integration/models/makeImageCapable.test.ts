// "Make image-capable" as the Models screen runs it: an installed Chameleon GGUF and a head file
// become a new installed GGUF that enables image output, with progress in the snapshot; a
// cancelled run leaves nothing; the same copy is not made twice.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IMAGE_CODEBOOK_SIZE } from '../../../main/contract/chameleon.ts';
import { CatalogSchema, type ModelsSnapshot } from '../../../main/contract/models.ts';
import { validateChameleonGguf } from '../../../main/engine/ggufValidation.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';
import { ModelLibrary } from '../../../main/models/ModelLibrary.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { writeSafetensors } from '../../fixtures/gguf/safetensorsWriter.ts';
import { STANDARD_ENTRIES, tempDataDir, until } from '../../fixtures/hub/hubRepos.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

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
  cleanups.push(async () => {
    await service.dispose();
    data.remove();
  });
  const head = join(data.dir, 'head.safetensors');
  writeSafetensors(head, [{ name: 'lm_head.weight', dtype: 'F32', shape: [IMAGE_CODEBOOK_SIZE, 64], bytes: new Uint8Array(new Float32Array(IMAGE_CODEBOOK_SIZE * 64).fill(0.01).buffer) }]);
  return { service, snapshots, head };
}

describe('ModelLibrary.makeImageCapable', () => {
  it('installs an image-capable copy with progress on the way', async () => {
    const { service, snapshots, head } = await open();
    const source = await service.import(tinyChameleonGguf(), 'gguf', 'link');
    const started = service.makeImageCapable(source.id, { headPath: head });
    expect(started).toMatchObject({ kind: 'imageAliases', sourceId: source.id, state: 'running' });
    await until(() => service.snapshot().installed.some((m) => m.id === started.id));
    const made = service.installed(started.id);
    expect(made).toMatchObject({ kind: 'gguf', enables: ['text', 'imagesOut'], linked: false });
    expect(made.path.startsWith(service.modelsDir)).toBe(true);
    expect((await validateChameleonGguf(made.path)).imageAliases).toBe(true);
    expect(service.snapshot().transforms).toEqual([]);
    const progress = snapshots.flatMap((s) => s.transforms.map((t) => t.done));
    expect(progress.some((d) => d > 0)).toBe(true);
    expect(() => service.makeImageCapable(source.id, { headPath: head })).toThrow(expect.objectContaining({ code: 'models.alreadyInstalled' }));
    // imported elsewhere, the file still says it can draw
    const { service: other } = await open();
    expect((await other.import(made.path, 'gguf', 'link')).enables).toEqual(['text', 'imagesOut']);
  });

  // (part-way cancels of the transform itself: makeImageCapableRefusals.test.ts; here the job's bookkeeping)
  it('cancels and leaves no file behind', async () => {
    const { service, head } = await open();
    const source = await service.import(tinyChameleonGguf(), 'gguf', 'link');
    const started = service.makeImageCapable(source.id, { headPath: head });
    await service.cancelTransform(started.id);
    expect(service.snapshot().transforms).toEqual([]);
    expect(service.snapshot().installed.map((m) => m.id)).toEqual([source.id]);
    const dir = join(service.modelsDir, started.id);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('keeps a failure in the snapshot until dismissed (a head that is not one)', async () => {
    const { service } = await open();
    const source = await service.import(tinyChameleonGguf(), 'gguf', 'link');
    const started = service.makeImageCapable(source.id, { headPath: tinyChameleonGguf() });
    await until(() => service.snapshot().transforms[0]?.state === 'failed');
    expect(service.snapshot().transforms[0]?.error?.code).toBe('models.badWeights');
    await service.cancelTransform(started.id);
    expect(service.snapshot().transforms).toEqual([]);
  });
});
