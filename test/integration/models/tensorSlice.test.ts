// Rows of one tensor out of a sharded safetensors checkpoint on the loopback Hub (Anole's image
// head in small): the index names the shard, its header the byte range, and only the shard's first
// 8 bytes, its header and the wanted rows are requested. Pause keeps the partial and resume
// requests only the rest; a shard that changed on the Hub restarts the slice.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CatalogSchema } from '../../../main/contract/models.ts';
import { fileTokenStore } from '../../../main/models/hubToken.ts';
import { ModelLibrary } from '../../../main/models/ModelLibrary.ts';
import { startHubServer, type HubServer } from '../../fixtures/hub/hubServer.ts';
import { entry, tempDataDir, until } from '../../fixtures/hub/hubRepos.ts';

const ROWS = 2000;
const COLS = 512;

/** A safetensors file of the given tensors (name, dtype, shape, bytes), in order. */
function safetensors(tensors: { name: string; dtype: string; shape: number[]; bytes: Buffer }[]): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...tensors.map((t) => t.bytes)]);
}

function pattern(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const lmHead = pattern(ROWS * COLS * 2, 7);
const wanted = lmHead.subarray(4 * COLS * 2, 1996 * COLS * 2);

function serveCheckpoint(hub: HubServer, head: Buffer): void {
  const shard1 = safetensors([{ name: 'model.embed_tokens.weight', dtype: 'F32', shape: [16, 8], bytes: pattern(16 * 8 * 4, 1) }]);
  const shard2 = safetensors([
    { name: 'model.norm.weight', dtype: 'BF16', shape: [COLS], bytes: pattern(COLS * 2, 3) },
    { name: 'lm_head.weight', dtype: 'BF16', shape: [ROWS, COLS], bytes: head },
  ]);
  const index = Buffer.from(JSON.stringify({ metadata: {}, weight_map: { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors', 'model.norm.weight': 'model-00002-of-00002.safetensors', 'lm_head.weight': 'model-00002-of-00002.safetensors' } }));
  hub.setRepo('test/anole-hf', {
    files: [
      { path: 'model.safetensors.index.json', bytes: index },
      { path: 'model-00001-of-00002.safetensors', bytes: shard1 },
      { path: 'model-00002-of-00002.safetensors', bytes: shard2 },
    ],
  });
}

const HEAD = entry('image-head', 'test/anole-hf', 'model.safetensors.index.json', 'imageHead', { enables: ['imagesOut'], slice: { tensor: 'lm_head.weight', rowStart: 4, rowEnd: 1996 } });
const MISSING = entry('no-such-tensor', 'test/anole-hf', 'model.safetensors.index.json', 'imageHead', { enables: ['imagesOut'], slice: { tensor: 'lm_head.bias', rowStart: 0, rowEnd: 4 } });

let hub: HubServer;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  hub = await startHubServer();
  serveCheckpoint(hub, lmHead);
});
afterAll(() => hub.close());
afterEach(async () => {
  hub.setThrottle(undefined);
  serveCheckpoint(hub, lmHead);
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open() {
  const data = tempDataDir();
  const service = await ModelLibrary.open({ dataDir: data.dir, catalog: CatalogSchema.parse({ version: 1, entries: [HEAD, MISSING] }), endpoint: hub.endpoint, tokens: fileTokenStore(data.dir), inUse: () => [], progressIntervalMs: 0 });
  cleanups.push(async () => {
    await service.dispose();
    data.remove();
  });
  return service;
}

/** The slice's data in a fetched file: after its own 8-byte length and JSON header. */
function sliceData(path: string): { header: Record<string, { shape?: number[] }>; data: Buffer } {
  const file = readFileSync(path);
  const n = Number(file.readBigUInt64LE(0));
  return { header: JSON.parse(file.subarray(8, 8 + n).toString()), data: file.subarray(8 + n) };
}

describe('a tensor slice by HTTP range', () => {
  it('fetches only the wanted rows into a safetensors file of their own', async () => {
    const service = await open();
    const before = hub.ranges.length;
    await service.pull('image-head');
    await service.idle();
    const { header, data } = sliceData(service.installed('image-head').path);
    expect(header['lm_head.weight']?.shape).toEqual([1992, COLS]);
    expect(data.equals(wanted)).toBe(true);
    const shardRequests = hub.ranges.slice(before).filter((r) => r.path.startsWith('model-00002'));
    expect(shardRequests.map((r) => r.ranged)).toEqual([true, true, true]);
    const fetched = shardRequests.reduce((n, r) => n + r.end - r.start + 1, 0);
    expect(fetched).toBeLessThan(wanted.length + 1000);
  });

  it('resumes a paused slice from where it stopped', async () => {
    const service = await open();
    hub.setThrottle(400_000);
    await service.pull('image-head');
    await until(() => (service.snapshot().downloads[0]?.done ?? 0) > 300_000);
    await service.pause('image-head');
    await service.idle();
    const have = service.snapshot().downloads[0]!.done;
    hub.setThrottle(undefined);
    const at = hub.ranges.length;
    await service.resume('image-head');
    await service.idle();
    expect(sliceData(service.installed('image-head').path).data.equals(wanted)).toBe(true);
    const last = hub.ranges.slice(at).filter((r) => r.path.startsWith('model-00002')).at(-1)!;
    expect(last.end - last.start + 1).toBeLessThanOrEqual(wanted.length - have + 65536);
  });

  it('starts over when the shard changed on the Hub between pause and resume', async () => {
    const service = await open();
    hub.setThrottle(400_000);
    await service.pull('image-head');
    await until(() => (service.snapshot().downloads[0]?.done ?? 0) > 300_000);
    await service.pause('image-head');
    await service.idle();
    hub.setThrottle(undefined);
    const changed = pattern(ROWS * COLS * 2, 99);
    serveCheckpoint(hub, changed);
    await service.resume('image-head');
    await service.idle();
    expect(sliceData(service.installed('image-head').path).data.equals(changed.subarray(4 * COLS * 2, 1996 * COLS * 2))).toBe(true);
  });

  it('says so when the checkpoint has no such tensor', async () => {
    const service = await open();
    await service.pull('no-such-tensor');
    await service.idle();
    expect(service.snapshot().downloads[0]?.error).toMatchObject({ code: 'models.wrongFile' });
  });
});
