// Browser mode's export and import: the local server's HTTP routes (a download and an upload),
// authenticated with the same API key the page's WebSocket uses. Electron uses the API stream and
// native dialogs instead (ExportDialog).
import type { ConversationSummary } from '../../../main/contract/chat.ts';
import { AppError, ERROR_CODES, type ErrorCode } from '../../../main/contract/errors.ts';
import { EXPORT_EXTENSION, type ExportFormat, type ExportScope } from '../../../main/contract/transcript.ts';

const KEY_STORAGE = 'chameleon.apiKey';

export interface DownloadProgress {
  /** 'preparing': the server writes the file; 'downloading': bytes arrive. */
  phase: 'preparing' | 'downloading';
  received: number;
  total: number | undefined;
}

function authHeaders(win: Window): Record<string, string> {
  const key = win.sessionStorage.getItem(KEY_STORAGE) ?? '';
  return { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
}

async function failure(res: Response): Promise<AppError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = (ERROR_CODES as readonly string[]).includes(err?.code ?? '') ? (err!.code as ErrorCode) : 'internal';
  return new AppError(code, err?.message ?? `The server answered ${res.status} ${res.statusText}.`);
}

/**
 * The name an export is saved under: the chat's title for one chat (characters no file system
 * takes replaced, kept short), else what was exported; always with the day, so repeated exports
 * sort and do not collide (issue 15, defect 11).
 */
export function exportFileName(scope: ExportScope, titleOf: (id: number) => string | undefined, day: string, format: ExportFormat): string {
  const ext = EXPORT_EXTENSION[format];
  let base: string;
  if (scope.kind === 'conversation') {
    const title = (titleOf(scope.id) ?? '')
      // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
      .replace(/[\u0000-\u001f\u007f/\\?%*:|"<>]+/g, '-')
      .replace(/\s+/g, ' ')
      .replace(/^[\s.-]+|[\s.-]+$/g, '')
      .slice(0, 80)
      .trim();
    base = title || 'chameleon-chat';
  } else base = scope.kind === 'all' ? 'chameleon-all-chats' : `chameleon-${scope.ids.length}-chats`;
  return `${base} ${day}.${ext}`;
}

/** The file name from Content-Disposition, else chameleon-transcript.<ext>. */
export function attachmentName(header: string | null, format: ExportFormat): string {
  const m = header ? /filename="?([^";]+)"?/i.exec(header) : null;
  return m?.[1] ?? `chameleon-transcript.${EXPORT_EXTENSION[format]}`;
}

/** POST /api/transcripts/export and hand the file to the browser's download. */
export async function downloadExport(
  win: Window,
  request: { scope: ExportScope; format: ExportFormat; branches: 'active' | 'all' },
  signal: AbortSignal,
  onProgress: (p: DownloadProgress) => void,
  /** The name to save under (exportFileName); the server's header is the fallback. */
  preferredName?: string,
): Promise<{ fileName: string; bytes: number }> {
  onProgress({ phase: 'preparing', received: 0, total: undefined });
  const res = await win.fetch('/api/transcripts/export', { method: 'POST', headers: authHeaders(win), body: JSON.stringify(request), signal });
  if (!res.ok || !res.body) throw await failure(res);
  const total = Number(res.headers.get('Content-Length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onProgress({ phase: 'downloading', received, total });
  }
  const fileName = preferredName ?? attachmentName(res.headers.get('Content-Disposition'), request.format);
  const url = URL.createObjectURL(new Blob(chunks as BlobPart[], { type: res.headers.get('Content-Type') ?? 'application/octet-stream' }));
  try {
    const a = win.document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.style.display = 'none';
    win.document.body.append(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return { fileName, bytes: received };
}

/** POST /api/transcripts/import with a file's text (our transcript JSON or ChatGPT's conversations.json). */
export async function uploadImport(win: Window, file: Blob): Promise<{ format: 'transcript' | 'chatgpt'; conversations: ConversationSummary[] }> {
  const res = await win.fetch('/api/transcripts/import', { method: 'POST', headers: authHeaders(win), body: file });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as { format: 'transcript' | 'chatgpt'; conversations: ConversationSummary[] };
}
