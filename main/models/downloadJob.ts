// One catalog download from start to an installed model: the Hub's LFS metadata (exact size and
// sha256), the disk-space check, the resumable download, the streamed hash, and the check that
// the bytes are what the catalog says (a Chameleon GGUF, VQ-GAN weights). Anything that fails
// after the download removes the file, so nothing is left half-done but a resumable partial.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { CatalogEntry, InstalledModel } from '../contract/models.ts';
import { DownloadHttpError, downloadFile, partialFileName } from '../engine/modelDownloader.ts';
import { validateChameleonGguf } from '../engine/ggufValidation.ts';
import { checkVqganWeights } from '../images/vqgan/weights/loadWeights.ts';
import { assertDiskSpace } from './diskSpace.ts';
import { fetchHubFileInfo, hubStatusError, resolveUrl } from './hubClient.ts';
import { sha256File } from './sha256File.ts';

export interface JobProgress {
  state: 'downloading' | 'verifying';
  done: number;
  total: number;
  bytesPerSecond: number;
  secondsLeft: number | null;
}

export interface JobContext {
  endpoint: string;
  token: string | null;
  /** The models folder; each entry gets its own sub-folder named by its id. */
  modelsDir: string;
  signal: AbortSignal;
  onProgress(progress: JobProgress): void;
}

export function entryDir(modelsDir: string, entry: CatalogEntry): string {
  return join(modelsDir, entry.id);
}

export function entryFileName(entry: CatalogEntry): string {
  return entry.file.split('/').pop()!;
}

/** Bytes a partial file already holds on disk (ipull writes its ranges sparsely). */
async function partialBytes(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return Math.min(s.size, s.blocks * 512);
  } catch {
    return 0;
  }
}

/** Why a file is refused, in words that never quote the file's bytes (house rule: error messages carry no file contents). */
const REASONS: Record<string, string> = {
  'model.notFound': 'the file is missing',
  'model.corrupt': 'it is not a readable GGUF file',
  'model.notChameleon': 'it holds another kind of model, not Chameleon',
  'model.noImageVocabulary': 'its vocabulary lacks Chameleon\'s image tokens',
  'vqgan.weightsNotFound': 'the file is missing',
  'vqgan.weightsInvalid': 'it is not a weights file the app can read',
  'vqgan.missingTensor': 'tensors of the VQ-GAN are missing',
  'vqgan.badTensorShape': 'its tensors have other shapes than the VQ-GAN\'s',
  'vqgan.noDecoder': 'it holds the encoder only, without the decoder',
  'vqgan.configInvalid': 'its config file is invalid',
};

/** Checks that the file is what the catalog entry says it is; throws models.wrongFile. */
/** Resolves whether a GGUF carries the app's image aliases (false for weights). */
export async function checkContent(path: string, entry: Pick<CatalogEntry, 'kind' | 'file'>): Promise<{ imageAliases: boolean }> {
  try {
    if (entry.kind === 'gguf') return { imageAliases: (await validateChameleonGguf(path)).imageAliases };
    await checkVqganWeights(path);
    return { imageAliases: false };
  } catch (err) {
    const cause = toErrorData(err).code;
    const what = entry.kind === 'gguf' ? 'a Chameleon GGUF' : 'VQ-GAN weights';
    throw new AppError('models.wrongFile', `${entry.file} is not ${what}: ${REASONS[cause] ?? 'it could not be checked'}.`, { file: entry.file, cause });
  }
}

/** Runs one download; resolves null when paused (the partial file stays for the next run). */
export async function runDownloadJob(entry: CatalogEntry, ctx: JobContext): Promise<Omit<InstalledModel, 'addedAt'> | null> {
  const info = await fetchHubFileInfo(ctx.endpoint, entry, ctx.token, ctx.signal).catch((err: unknown) => {
    if (ctx.signal.aborted) return null;
    throw err;
  });
  if (!info) return null;
  const expectedSha = entry.sha256 ?? info.sha256;
  const dir = entryDir(ctx.modelsDir, entry);
  const fileName = entryFileName(entry);
  const path = join(dir, fileName);
  const partial = await partialBytes(join(dir, partialFileName(fileName)));
  await assertDiskSpace(dir, Math.max(0, info.bytes - partial), `${entry.name}${entry.quant ? ` ${entry.quant}` : ''}`);

  let result;
  try {
    result = await downloadFile({
      url: resolveUrl(ctx.endpoint, entry),
      dir,
      fileName,
      token: ctx.token,
      signal: ctx.signal,
      onProgress: (p) => ctx.onProgress({ state: 'downloading', ...p }),
    });
  } catch (err) {
    if (err instanceof DownloadHttpError) throw hubStatusError(err.status, entry);
    if ((err as { code?: unknown }).code === 'ENOSPC') throw new AppError('models.diskFull', `The disk filled up while downloading ${entry.file}; free some space and resume: the part already downloaded is kept.`, { id: entry.id });
    throw new AppError('models.networkError', `The download of ${entry.file} failed: ${(err as Error).message}. It resumes where it stopped when you try again.`, { id: entry.id }, { cause: err });
  }
  if (result.state === 'paused') return null;

  try {
    if (result.bytes !== info.bytes) {
      throw new AppError('models.checksumMismatch', `${fileName} has ${result.bytes} bytes but the Hub lists ${info.bytes}; the file was removed.`, { id: entry.id, bytes: result.bytes, expectedBytes: info.bytes });
    }
    const sha256 = await sha256File(path, { signal: ctx.signal, onProgress: (done) => ctx.onProgress({ state: 'verifying', done, total: result.bytes, bytesPerSecond: 0, secondsLeft: null }) });
    if (sha256 !== expectedSha) {
      throw new AppError('models.checksumMismatch', `${fileName} does not match its sha256 on the Hub (the download was damaged or the file changed); it was removed. Download it again.`, {
        id: entry.id,
        sha256,
        expectedSha256: expectedSha,
      });
    }
    await checkContent(path, entry);
    return {
      id: entry.id,
      name: entry.name,
      kind: entry.kind,
      path,
      bytes: result.bytes,
      sha256,
      ...(entry.quant ? { quant: entry.quant } : {}),
      enables: entry.enables,
      linked: false,
    };
  } catch (err) {
    // A cancelled hash keeps the complete file: the next run only hashes it again.
    if (ctx.signal.aborted) return null;
    await rm(path, { force: true });
    throw err;
  }
}
