// Catalog downloads through node-llama-cpp's real downloader against a real loopback Hub: full
// download with sha256, a second pull of the same file, pause/resume (only the missing bytes are
// fetched again), checksum mismatch, 404, 401/403 for a gated repo, disk-space refusal and a file
// that is not what the catalog says. Nothing here mocks the downloader.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CatalogSchema, type InstalledModel } from '../../../main/contract/models.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';
import { ModelLibrary } from '../../../main/models/ModelLibrary.ts';
import { sha256, startHubServer, type HubServer } from '../../fixtures/hub/hubServer.ts';
import { STANDARD_ENTRIES, entry, ggufBytes, serveStandardRepos, tempDataDir, unsavedRanges, until, vqganBytes } from '../../fixtures/hub/hubRepos.ts';

let hub: HubServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  hub = await startHubServer();
  serveStandardRepos(hub);
  hub.setRepo('test/lying', {
    files: [
      { path: 'bad-sha.gguf', bytes: ggufBytes(), advertisedSha256: 'f'.repeat(64) },
      { path: 'huge.gguf', bytes: ggufBytes(), advertisedSize: 2 ** 52 },
      { path: 'not-chameleon.gguf', bytes: vqganBytes() },
    ],
  });
});
afterAll(() => hub.close());
afterEach(async () => {
  hub.setThrottle(undefined);
  for (const c of cleanups.splice(0).reverse()) await c();
});

const EXTRA = [
  entry('bad-sha', 'test/lying', 'bad-sha.gguf', 'gguf'),
  entry('huge', 'test/lying', 'huge.gguf', 'gguf'),
  entry('not-chameleon', 'test/lying', 'not-chameleon.gguf', 'gguf'),
  entry('missing', 'test/lying', 'no-such-file.gguf', 'gguf'),
];

async function open(options: { installed?: InstalledModel[]; dataDir?: string } = {}) {
  const data = options.dataDir ? { dir: options.dataDir, remove: () => undefined } : tempDataDir();
  const installed: InstalledModel[] = [];
  const service = await ModelLibrary.open({
    dataDir: data.dir,
    catalog: CatalogSchema.parse({ version: 1, entries: [...STANDARD_ENTRIES, ...EXTRA] }),
    endpoint: hub.endpoint,
    tokens: fileTokenStore(data.dir),
    inUse: () => [],
    onInstalled: (m) => void installed.push(m),
    progressIntervalMs: 0,
  });
  cleanups.push(async () => {
    await service.dispose();
    data.remove();
  });
  return { service, installed, dataDir: data.dir };
}

function failure(service: ModelLibrary, id: string) {
  return service.snapshot().downloads.find((d) => d.id === id)?.error;
}

describe('catalog downloads from a loopback Hub', () => {
  it('downloads, checks the sha256 and installs; a second pull of the same file is refused', async () => {
    const { service, installed, dataDir } = await open();
    const first = await service.pull('tiny-gguf');
    const again = await service.pull('tiny-gguf');
    expect(again.id).toBe(first.id);
    expect(service.snapshot().downloads).toHaveLength(1);
    await service.idle();
    const model = service.installed('tiny-gguf');
    expect(readFileSync(model.path).equals(ggufBytes())).toBe(true);
    expect(model.sha256).toBe(sha256(ggufBytes()));
    expect(installed.map((m) => m.id)).toEqual(['tiny-gguf']);
    expect(JSON.parse(readFileSync(join(dataDir, 'models', 'models.json'), 'utf8')).installed[0].id).toBe('tiny-gguf');
    await expect(service.pull('tiny-gguf')).rejects.toMatchObject({ code: 'models.alreadyInstalled' });
  });

  it('pauses with the partial file kept and resumes fetching only the missing bytes', async () => {
    const { service } = await open();
    const total = ggufBytes().length;
    hub.setThrottle(1_500_000);
    const before = hub.ranges.length;
    await service.pull('tiny-gguf');
    // ipull fetches three 5 MiB chunks in parallel and records each when complete: wait until
    // all three are (the fourth, 3 MiB, is still missing).
    await until(() => (service.snapshot().downloads[0]?.done ?? 0) > 3 * 5 * 1024 * 1024 + 200_000);
    await service.pause('tiny-gguf');
    await service.idle();
    const dir = join(service.modelsDir, 'tiny-gguf');
    expect(readdirSync(dir)).toEqual(['tiny.Q8.gguf.ipull']);
    expect(service.snapshot().downloads[0]?.state).toBe('paused');
    const unsaved = unsavedRanges(join(dir, 'tiny.Q8.gguf.ipull'), total);

    hub.setThrottle(undefined);
    const resumedFrom = hub.ranges.length;
    await service.resume('tiny-gguf');
    await service.idle();
    expect(service.installed('tiny-gguf').sha256).toBe(sha256(ggufBytes()));
    const firstRun = hub.ranges.slice(before, resumedFrom).filter((r) => r.ranged);
    const secondRun = hub.ranges.slice(resumedFrom).filter((r) => r.ranged);
    const refetched = secondRun.reduce((n, r) => n + r.end - r.start + 1, 0);
    console.log(`pause/resume: file ${total} B, first run sent ${firstRun.reduce((n, r) => n + r.sent, 0)} B, resume requested ${refetched} B in ${secondRun.length} ranges`);
    // Exactly what the partial's progress record lacked (normally the last 3 MiB chunk).
    expect(refetched).toBe(unsaved.reduce((n, [a, b]) => n + b - a + 1, 0));
    expect(refetched).toBeLessThan(total);
  });

  it('rides out connections lost mid-download and still installs the exact bytes', async () => {
    const { service } = await open();
    const before = hub.ranges.length;
    hub.dropConnections(3, 1_000_000);
    await service.pull('tiny-gguf');
    await service.idle();
    expect(failure(service, 'tiny-gguf')).toBeUndefined();
    expect(service.installed('tiny-gguf').sha256).toBe(sha256(ggufBytes()));
    const ranged = hub.ranges.slice(before).filter((r) => r.ranged);
    console.log(`network lost: ${ranged.length} ranged requests, ${ranged.filter((r) => r.sent < r.end - r.start + 1).length} cut off`);
    expect(ranged.length).toBeGreaterThan(3);
  });

  it('removes a file whose sha256 differs from the Hub LFS metadata', async () => {
    const { service } = await open();
    await service.pull('bad-sha');
    await service.idle();
    expect(failure(service, 'bad-sha')).toMatchObject({ code: 'models.checksumMismatch' });
    expect(existsSync(join(service.modelsDir, 'bad-sha', 'bad-sha.gguf'))).toBe(false);
  });

  it('refuses a download larger than the free disk space before fetching a byte', async () => {
    const { service } = await open();
    const before = hub.ranges.length;
    await service.pull('huge');
    await service.idle();
    expect(failure(service, 'huge')).toMatchObject({ code: 'models.diskFull', details: { neededBytes: 2 ** 52 } });
    expect(hub.ranges.length).toBe(before);
  });

  it('says 404 when the Hub has no such file', async () => {
    const { service } = await open();
    await service.pull('missing');
    await service.idle();
    expect(failure(service, 'missing')).toMatchObject({ code: 'models.hubNotFound', details: { status: 404 } });
  });

  it('refuses a file that is not what the catalog says (VQ-GAN bytes under a GGUF name)', async () => {
    const { service } = await open();
    await service.pull('not-chameleon');
    await service.idle();
    expect(failure(service, 'not-chameleon')).toMatchObject({ code: 'models.wrongFile', details: { cause: 'model.corrupt' } });
    // The reason in words, never the bytes the reader tripped over.
    expect(failure(service, 'not-chameleon')?.message).toBe('not-chameleon.gguf is not a Chameleon GGUF: it is not a readable GGUF file.');
    expect(existsSync(join(service.modelsDir, 'not-chameleon', 'not-chameleon.gguf'))).toBe(false);
  });

  it('asks for a token (401), then for access (403), then downloads a gated file with the right token', async () => {
    const { service, dataDir } = await open();
    await service.pull('gated-gguf');
    await service.idle();
    expect(failure(service, 'gated-gguf')).toMatchObject({ code: 'models.unauthorized', details: { status: 401 } });

    await service.setToken('hf_wrong_token');
    await service.resume('gated-gguf');
    await service.idle();
    const denied = failure(service, 'gated-gguf');
    expect(denied).toMatchObject({ code: 'models.gated', details: { status: 403 } });
    expect(JSON.stringify(denied)).not.toContain('hf_wrong_token');

    await service.setToken('hf_right_token');
    await service.resume('gated-gguf');
    await service.idle();
    expect(service.installed('gated-gguf').sha256).toBe(sha256(ggufBytes()));
    expect(service.snapshot().hasToken).toBe(true);
    expect(JSON.stringify(service.snapshot())).not.toContain('hf_right_token');
    expect(readFileSync(join(dataDir, 'models', 'models.json'), 'utf8')).not.toContain('hf_right_token');
  });

  it('installs VQ-GAN weights from a sub-folder path and removes them with the space freed', async () => {
    const { service } = await open();
    await service.pull('tiny-vqgan');
    await service.idle();
    const model = service.installed('tiny-vqgan');
    expect(model.path.endsWith(join('tiny-vqgan', 'weights.safetensors'))).toBe(true);
    expect(await service.remove('tiny-vqgan')).toEqual({ freedBytes: vqganBytes().length });
    expect(existsSync(model.path)).toBe(false);
  });
});
