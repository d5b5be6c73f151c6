// Fetch some rows of one tensor out of a sharded safetensors checkpoint on the Hub by HTTP range
// (Anole's image head: rows 4–8195 of lm_head.weight, 64 MiB of a 14 GB checkpoint). The index
// names the shard, the shard's header gives the tensor's byte range, and only those rows are
// requested. The result is a small safetensors file of its own. Resumable: the `.part` file holds
// the final layout (header, then rows), so its length says where to go on; the shard's LFS sha256
// is kept in the header, and a shard that changed on the Hub since the partial started restarts
// the fetch instead of mixing two revisions.
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors.ts';
import type { CatalogEntry, InstalledModel } from '../contract/models.ts';
import { assertDiskSpace } from './diskSpace.ts';
import type { JobContext } from './downloadJob.ts';
import { authHeaders, fetchHubFileInfo, hubStatusError, resolveUrl } from './hubClient.ts';
import { sha256File } from './sha256File.ts';

const DTYPE_BYTES: Record<string, number> = { BF16: 2, F16: 2, F32: 4 };
/** Safetensors headers of real checkpoints are well under this; a larger claim is not one. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

async function get(url: string, ctx: JobContext, entry: CatalogEntry, range?: [number, number]): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { ...authHeaders(ctx.token), ...(range ? { range: `bytes=${range[0]}-${range[1]}` } : {}) }, signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    throw new AppError('models.networkError', `The Hub could not be reached (${(err as Error).message}); the part already fetched is kept.`, { id: entry.id }, { cause: err });
  }
  if (!response.ok) throw hubStatusError(response.status, entry);
  if (range && response.status !== 206) throw new AppError('models.networkError', 'The Hub ignored the byte range; the slice cannot be fetched from this server.', { id: entry.id });
  return response;
}

function wrong(entry: CatalogEntry, why: string): AppError {
  return new AppError('models.wrongFile', `${entry.repo} is not the checkpoint the catalog names: ${why}.`, { repo: entry.repo, file: entry.file });
}

interface SlicePlan {
  shard: string;
  shardSha256: string;
  dtype: string;
  columns: number;
  /** Absolute byte offset of the first wanted row in the shard, and the slice length. */
  start: number;
  length: number;
}

async function plan(entry: CatalogEntry, ctx: JobContext): Promise<SlicePlan> {
  const slice = entry.slice!;
  const index = (await (await get(resolveUrl(ctx.endpoint, entry), ctx, entry)).json().catch(() => null)) as { weight_map?: Record<string, unknown> } | null;
  const shard = index?.weight_map?.[slice.tensor];
  if (typeof shard !== 'string' || !/^[\w.-]+\.safetensors$/.test(shard)) throw wrong(entry, `its index names no shard for ${slice.tensor}`);
  const dir = entry.file.includes('/') ? entry.file.slice(0, entry.file.lastIndexOf('/') + 1) : '';
  const shardEntry = { ...entry, file: `${dir}${shard}` };
  const { sha256: shardSha256, bytes: shardBytes } = await fetchHubFileInfo(ctx.endpoint, shardEntry, ctx.token, ctx.signal);
  const url = resolveUrl(ctx.endpoint, shardEntry);
  const lengthBytes = Buffer.from(await (await get(url, ctx, shardEntry, [0, 7])).arrayBuffer());
  const headerLength = lengthBytes.length === 8 ? Number(lengthBytes.readBigUInt64LE(0)) : -1;
  if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength + 8 > shardBytes) throw wrong(entry, `${shard} has no safetensors header`);
  const header = JSON.parse(Buffer.from(await (await get(url, ctx, shardEntry, [8, 8 + headerLength - 1])).arrayBuffer()).toString('utf8')) as Record<string, unknown>;
  const info = header[slice.tensor] as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | undefined;
  const shape = info?.shape;
  const offsets = info?.data_offsets;
  const dtype = typeof info?.dtype === 'string' ? info.dtype : '';
  const size = DTYPE_BYTES[dtype];
  if (!size || !Array.isArray(shape) || shape.length !== 2 || !Array.isArray(offsets) || offsets.length !== 2) throw wrong(entry, `${slice.tensor} is not a 2-D BF16/F16/F32 tensor in ${shard}`);
  const [rows, columns] = shape as [number, number];
  const [begin, end] = offsets as [number, number];
  if (end - begin !== rows * columns * size || 8 + headerLength + end > shardBytes) throw wrong(entry, `${slice.tensor}'s byte range does not match its shape`);
  if (slice.rowEnd > rows) throw wrong(entry, `${slice.tensor} has ${rows} rows, fewer than ${slice.rowEnd}`);
  return {
    shard,
    shardSha256,
    dtype,
    columns,
    start: 8 + headerLength + begin + slice.rowStart * columns * size,
    length: (slice.rowEnd - slice.rowStart) * columns * size,
  };
}

/** The output's own safetensors header: the slice as one tensor, and where it came from. */
function outputHeader(entry: CatalogEntry, p: SlicePlan): Buffer {
  const slice = entry.slice!;
  const json = JSON.stringify({
    __metadata__: { repo: entry.repo, revision: entry.revision, shard: p.shard, shard_sha256: p.shardSha256, tensor: slice.tensor, rows: `${slice.rowStart}-${slice.rowEnd}` },
    [slice.tensor]: { dtype: p.dtype, shape: [slice.rowEnd - slice.rowStart, p.columns], data_offsets: [0, p.length] },
  });
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(padded)));
  return Buffer.concat([length, Buffer.from(padded)]);
}

/** Bytes of slice data already in a partial whose header matches `header` exactly (else 0: start over). */
async function resumeOffset(partPath: string, header: Buffer): Promise<number> {
  try {
    const size = (await stat(partPath)).size;
    if (size < header.length) return 0;
    const fd = await open(partPath, 'r');
    try {
      const existing = Buffer.alloc(header.length);
      await fd.read(existing, 0, header.length, 0);
      return existing.equals(header) ? size - header.length : 0;
    } finally {
      await fd.close();
    }
  } catch {
    return 0;
  }
}

export async function runSliceJob(entry: CatalogEntry, ctx: JobContext): Promise<Omit<InstalledModel, 'addedAt'> | null> {
  let p: SlicePlan;
  try {
    p = await plan(entry, ctx);
  } catch (err) {
    if (ctx.signal.aborted) return null;
    throw err;
  }
  const dir = join(ctx.modelsDir, entry.id);
  const path = join(dir, `${entry.id}.safetensors`);
  const partPath = `${path}.part`;
  await mkdir(dir, { recursive: true });
  const header = outputHeader(entry, p);
  let have = await resumeOffset(partPath, header);
  if (have > p.length) have = 0;
  if (have === 0) await rm(partPath, { force: true });
  await assertDiskSpace(dir, header.length + p.length - have, entry.name);

  if (have < p.length) {
    const out = createWriteStream(partPath, { flags: have === 0 ? 'w' : 'a' });
    const written = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    try {
      if (have === 0) out.write(header);
      const response = await get(resolveUrl(ctx.endpoint, { ...entry, file: `${entry.file.includes('/') ? entry.file.slice(0, entry.file.lastIndexOf('/') + 1) : ''}${p.shard}` }), ctx, entry, [p.start + have, p.start + p.length - 1]);
      const started = Date.now();
      const resumedAt = have;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        have += chunk.length;
        const seconds = (Date.now() - started) / 1000;
        const speed = seconds > 0 ? (have - resumedAt) / seconds : 0;
        ctx.onProgress({ state: 'downloading', done: have, total: p.length, bytesPerSecond: speed, secondsLeft: speed > 0 ? (p.length - have) / speed : null });
      }
    } catch (err) {
      if (!ctx.signal.aborted) {
        out.end();
        await written.catch(() => undefined);
        throw err instanceof AppError ? err : new AppError('models.networkError', `The connection was lost while fetching ${entry.name}; resume to go on where it stopped.`, { id: entry.id }, { cause: err });
      }
    } finally {
      out.end();
      await written.catch(() => undefined);
    }
    if (ctx.signal.aborted) return null;
    if (have !== p.length) throw new AppError('models.networkError', `The Hub sent ${have} of ${p.length} bytes of ${entry.name}; resume to fetch the rest.`, { id: entry.id });
  }
  await rename(partPath, path);
  const sha256 = await sha256File(path, { onProgress: (done) => ctx.onProgress({ state: 'verifying', done, total: header.length + p.length, bytesPerSecond: 0, secondsLeft: null }) });
  return { id: entry.id, name: entry.name, kind: 'imageHead', path, bytes: header.length + p.length, sha256, enables: entry.enables, linked: false };
}
