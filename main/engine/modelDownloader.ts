// The one place that drives node-llama-cpp's createModelDownloader (ipull underneath: parallel
// ranges, `.ipull` partial files that resume after a crash). What this wrapper adds is what the
// library does not say plainly: an aborted download() resolves with the path although no file is
// there (so "paused" is decided by the signal, never by the promise); partial files are kept on
// abort (deleteTempFileOnCancel: false) so a pause, a closed app or a kill resumes; the token is
// only the one passed in (tokens: {huggingFace: null} stops it reading HF_TOKEN or
// ~/.cache/huggingface/token); and HTTP errors, whose objects carry the request headers with the
// token, become coded errors holding only the status.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createModelDownloader } from 'node-llama-cpp';

export interface FileDownload {
  url: string;
  dir: string;
  fileName: string;
  /** Sent as `Authorization: Bearer …` to this URL (and its same-origin redirects) only. */
  token: string | null;
  signal: AbortSignal;
  onProgress(progress: { done: number; total: number; bytesPerSecond: number; secondsLeft: number | null }): void;
}

export type FileDownloadResult = { state: 'done'; path: string; bytes: number } | { state: 'paused' };

/** An HTTP answer other than 2xx, without the request (its headers hold the token). */
export class DownloadHttpError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.name = 'DownloadHttpError';
    this.status = status;
  }
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The partial file ipull keeps beside the final one while a download is unfinished. */
export function partialFileName(fileName: string): string {
  return `${fileName}.ipull`;
}

export async function downloadFile(request: FileDownload): Promise<FileDownloadResult> {
  const { signal } = request;
  if (signal.aborted) return { state: 'paused' };
  try {
    const downloader = await createModelDownloader({
      modelUri: request.url,
      dirPath: request.dir,
      fileName: request.fileName,
      headers: request.token ? { Authorization: `Bearer ${request.token}` } : {},
      tokens: { huggingFace: null as unknown as string },
      deleteTempFileOnCancel: false,
      // A finished file of the right size is reused; its hash is checked by the caller anyway.
      skipExisting: true,
      showCliProgress: false,
      onProgress: ({ downloadedSize, totalSize, averageSpeed, estimatedTimeLeft }) =>
        request.onProgress({
          done: downloadedSize,
          total: totalSize,
          bytesPerSecond: averageSpeed,
          secondsLeft: Number.isFinite(estimatedTimeLeft) ? estimatedTimeLeft / 1000 : null,
        }),
    });
    if (signal.aborted) {
      await downloader.cancel({ deleteTempFile: false });
      return { state: 'paused' };
    }
    await downloader.download({ signal }).catch((err: unknown) => {
      if (!signal.aborted) throw err;
    });
    if (signal.aborted) return { state: 'paused' };
    const path = join(request.dir, request.fileName);
    const size = (await stat(path)).size;
    return { state: 'done', path, bytes: size };
  } catch (err) {
    if (signal.aborted) return { state: 'paused' };
    const status = statusOf(err);
    if (status !== undefined) throw new DownloadHttpError(status);
    // A fresh error without the library's fields (they may hold the request headers), keeping
    // the errno code so a full disk (ENOSPC) can be told from a lost network.
    const plain = new Error(err instanceof Error ? err.message : String(err)) as Error & { code?: string };
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string') plain.code = code;
    throw plain;
  }
}
