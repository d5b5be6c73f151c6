// Refuse a download that cannot fit before a byte is fetched: a disk that fills up half-way leaves
// the user with nothing but a partial file and a full disk.
import { mkdir, statfs } from 'node:fs/promises';
import { AppError } from '../contract/errors.ts';

/** Headroom kept free beyond the file itself (the OS, the chat history, the partial's metadata). */
export const DISK_RESERVE_BYTES = 256 * 1024 * 1024;

export async function freeBytes(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** `needed`: the bytes still to be written (the whole file minus what a partial already holds). */
export async function assertDiskSpace(dir: string, needed: number, what: string): Promise<void> {
  const free = await freeBytes(dir);
  if (needed + DISK_RESERVE_BYTES > free) {
    throw new AppError('models.diskFull', `Not enough free disk space for ${what}: it needs ${formatGb(needed)} and ${formatGb(free)} is free in ${dir}.`, {
      dir,
      neededBytes: needed,
      freeBytes: free,
    });
  }
}

function formatGb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes < 1e9 ? 2 : 1)} GB`;
}
