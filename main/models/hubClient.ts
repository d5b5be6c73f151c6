// The two Hub routes the app needs besides the file itself: the tree listing, whose LFS entry
// gives a file's exact size and sha256 (the checksum the downloader never checks), and the
// resolve URL that createModelDownloader fetches. HTTP failures become coded errors that say what
// to do (a gated repo: accept the licence, then give a token).
import { AppError } from '../contract/errors.ts';
import type { CatalogEntry } from '../contract/models.ts';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubFileInfo {
  bytes: number;
  sha256: string;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function resolveUrl(endpoint: string, entry: Pick<CatalogEntry, 'repo' | 'revision' | 'file'>): string {
  return `${endpoint.replace(/\/+$/, '')}/${entry.repo}/resolve/${encodeURIComponent(entry.revision)}/${encodePath(entry.file)}`;
}

export function authHeaders(token: string | null | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The coded error for an HTTP status from the Hub (the token itself never appears). */
export function hubStatusError(status: number, entry: Pick<CatalogEntry, 'repo' | 'file'>): AppError {
  const details = { repo: entry.repo, file: entry.file, status };
  if (status === 401)
    return new AppError('models.unauthorized', `${entry.repo} needs a Hugging Face token: accept its licence on huggingface.co/${entry.repo}, then add a read token under Models → Hub token.`, details);
  if (status === 403)
    return new AppError('models.gated', `Your token has no access to ${entry.repo} yet: open huggingface.co/${entry.repo}, accept the licence and wait for the approval, then try again.`, details);
  if (status === 404) return new AppError('models.hubNotFound', `The Hub has no file ${entry.file} in ${entry.repo} (404).`, details);
  return new AppError('models.networkError', `The Hub answered ${status} for ${entry.repo}/${entry.file}.`, details);
}

/** Exact size and sha256 of an LFS file, from `api/models/<repo>/tree/<revision>/<dir>`. */
export async function fetchHubFileInfo(endpoint: string, entry: CatalogEntry, token: string | null, signal?: AbortSignal): Promise<HubFileInfo> {
  const slash = entry.file.lastIndexOf('/');
  const dir = slash < 0 ? '' : entry.file.slice(0, slash);
  const url = `${endpoint.replace(/\/+$/, '')}/api/models/${entry.repo}/tree/${encodeURIComponent(entry.revision)}${dir ? `/${encodePath(dir)}` : ''}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: authHeaders(token), ...(signal ? { signal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new AppError('models.networkError', `The Hub could not be reached (${(err as Error).message}).`, { repo: entry.repo }, { cause: err });
  }
  if (!response.ok) throw hubStatusError(response.status, entry);
  const listing = (await response.json()) as unknown;
  const item = Array.isArray(listing) ? listing.find((i: { path?: unknown }) => i?.path === entry.file) : undefined;
  if (!item) throw hubStatusError(404, entry);
  const lfs = (item as { lfs?: { oid?: unknown; size?: unknown } }).lfs;
  if (typeof lfs?.oid !== 'string' || !/^[0-9a-f]{64}$/.test(lfs.oid) || typeof lfs.size !== 'number') {
    throw new AppError('models.wrongFile', `${entry.repo}/${entry.file} is not stored as a large (LFS) file on the Hub, so it cannot be the model weights.`, { repo: entry.repo, file: entry.file });
  }
  return { bytes: lfs.size, sha256: lfs.oid };
}
