// `npm run models -- pull` killed with SIGKILL in the middle of a download, then run again: the
// second run asks the Hub only for the bytes the first one had not saved, and the result hashes
// right. Also the app side of the same promise: a ModelLibrary opened on the data dir of a killed
// pull resumes it by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogSchema } from '../../../main/contract/models.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';
import { ModelLibrary } from '../../../main/models/ModelLibrary.ts';
import { sha256, startHubServer, type HubServer } from '../../fixtures/hub/hubServer.ts';
import { STANDARD_ENTRIES, ggufBytes, serveStandardRepos, tempDataDir, unsavedRanges, until, writeCatalog } from '../../fixtures/hub/hubRepos.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const CHUNK = 5 * 1024 * 1024; // ipull's chunk: progress is saved per completed chunk

let hub: HubServer;
const data = tempDataDir();
let catalogPath: string;

beforeAll(async () => {
  hub = await startHubServer();
  serveStandardRepos(hub);
  catalogPath = writeCatalog(data.dir, STANDARD_ENTRIES);
});
afterAll(async () => {
  await hub.close();
  data.remove();
});

function pull(dataDir: string): { child: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, [join(ROOT, 'main/models/modelsCli.ts'), 'pull', 'tiny-gguf', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, HF_ENDPOINT: hub.endpoint, CHAMELEON_MODEL_CATALOG: catalogPath, HF_TOKEN: 'must-not-be-sent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, done: new Promise((r) => child.on('exit', (code) => r({ code, output }))) };
}

/** Waits until each of ipull's three parallel ranges has delivered its first whole chunk, then kills. */
async function killAfterThreeChunks(dataDir: string): Promise<number> {
  hub.setThrottle(1_500_000);
  const start = hub.ranges.length;
  const first = pull(dataDir);
  await until(() => {
    const ranged = hub.ranges.slice(start).filter((r) => r.ranged);
    return ranged.length === 3 && ranged.every((r) => r.sent >= Math.min(CHUNK + 100_000, r.end - r.start + 1));
  });
  // Give ipull a moment to write the progress record of those chunks, then pull the plug.
  await new Promise((r) => setTimeout(r, 400));
  first.child.kill('SIGKILL');
  const { code } = await first.done;
  expect(code).toBeNull();
  hub.setThrottle(undefined);
  expect(readdirSync(join(dataDir, 'models', 'tiny-gguf'))).toEqual(['tiny.Q8.gguf.ipull']);
  return hub.ranges.length;
}

describe('a download killed with SIGKILL', () => {
  it('resumes in the next `npm run models -- pull`, fetching only the missing bytes', async () => {
    const dataDir = join(data.dir, 'cli');
    const total = ggufBytes().length;
    const restartAt = await killAfterThreeChunks(dataDir);
    const unsaved = unsavedRanges(join(dataDir, 'models', 'tiny-gguf', 'tiny.Q8.gguf.ipull'), total);
    const unsavedBytes = unsaved.reduce((n, [a, b]) => n + b - a + 1, 0);
    expect(unsavedBytes).toBeLessThan(total);

    const second = await pull(dataDir).done;
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(`sha256 ${sha256(ggufBytes())}`);
    const rerequested = hub.ranges.slice(restartAt).filter((r) => r.ranged);
    const bytes = rerequested.reduce((n, r) => n + r.end - r.start + 1, 0);
    console.log(`kill -9 resume: file ${total} B; unsaved at the kill ${unsaved.map(([a, b]) => `${a}-${b}`).join(', ')}; after the restart ${rerequested.length} range(s) ${rerequested.map((r) => `${r.start}-${r.end}`).join(', ')} = ${bytes} B re-requested`);
    // Exactly the chunks the killed process had not saved (normally only the fourth, which no
    // stream had finished), nothing it already had.
    expect(bytes).toBe(unsavedBytes);
    const covered = (pos: number) => unsaved.some(([a, b]) => pos >= a && pos <= b);
    expect(rerequested.every((r) => covered(r.start) && covered(r.end))).toBe(true);
  });

  it('resumes by itself when the app opens the same data dir', async () => {
    const dataDir = join(data.dir, 'app');
    await killAfterThreeChunks(dataDir);
    const service = await ModelLibrary.open({
      dataDir,
      catalog: CatalogSchema.parse({ version: 1, entries: STANDARD_ENTRIES }),
      endpoint: hub.endpoint,
      tokens: fileTokenStore(dataDir),
      inUse: () => [],
    });
    try {
      await service.idle();
      expect(service.installed('tiny-gguf').sha256).toBe(sha256(ggufBytes()));
    } finally {
      await service.dispose();
    }
  });
});
