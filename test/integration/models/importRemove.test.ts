// Import of local files (validated, then linked in place or copied into the models folder) and
// removal: a model in use is refused, a linked file is never deleted, a copy frees its bytes.
import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogSchema } from '../../../main/contract/models.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';
import { ModelLibrary } from '../../../main/models/ModelLibrary.ts';
import { otherArchitectureGguf, tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { STANDARD_ENTRIES, VQGAN_WEIGHTS, tempDataDir } from '../../fixtures/hub/hubRepos.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(inUse: string[] = []) {
  const data = tempDataDir();
  const service = await ModelLibrary.open({
    dataDir: data.dir,
    catalog: CatalogSchema.parse({ version: 1, entries: STANDARD_ENTRIES }),
    // Nothing listens here: import and remove never touch the network.
    endpoint: 'http://127.0.0.1:9',
    tokens: fileTokenStore(data.dir),
    inUse: () => inUse,
  });
  cleanups.push(async () => {
    await service.dispose();
    data.remove();
  });
  return service;
}

describe('import and remove', () => {
  it('links a GGUF in place and removing it leaves the file alone', async () => {
    const service = await open();
    const model = await service.import(tinyChameleonGguf(), 'gguf', 'link');
    expect(model).toMatchObject({ kind: 'gguf', path: tinyChameleonGguf(), linked: true, enables: ['text'] });
    await expect(service.import(tinyChameleonGguf(), 'gguf', 'link')).rejects.toMatchObject({ code: 'models.alreadyInstalled' });
    expect(await service.remove(model.id)).toEqual({ freedBytes: 0 });
    expect(existsSync(tinyChameleonGguf())).toBe(true);
  });

  it('copies VQ-GAN weights into the models folder and frees their bytes on remove', async () => {
    const service = await open();
    const model = await service.import(VQGAN_WEIGHTS, 'vqgan', 'copy');
    expect(model.path.startsWith(service.modelsDir)).toBe(true);
    expect(statSync(model.path).size).toBe(statSync(VQGAN_WEIGHTS).size);
    expect(await service.remove(model.id)).toEqual({ freedBytes: statSync(VQGAN_WEIGHTS).size });
    expect(existsSync(model.path)).toBe(false);
  });

  it('refuses a file that is not what it is imported as, with the reason', async () => {
    const service = await open();
    await expect(service.import(otherArchitectureGguf(), 'gguf', 'link')).rejects.toMatchObject({ code: 'models.wrongFile', details: { cause: 'model.notChameleon' } });
    await expect(service.import(tinyChameleonGguf(), 'vqgan', 'copy')).rejects.toMatchObject({ code: 'models.wrongFile' });
    expect(service.snapshot().installed).toEqual([]);
  });

  it('refuses to remove the model in use', async () => {
    const service = await open([tinyChameleonGguf()]);
    const model = await service.import(tinyChameleonGguf(), 'gguf', 'link');
    expect(service.snapshot().installed[0]?.inUse).toBe(true);
    await expect(service.remove(model.id)).rejects.toMatchObject({ code: 'models.inUse' });
  });
});
