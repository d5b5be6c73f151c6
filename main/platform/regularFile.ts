// Opening a file a user (or a client) named, safely: only regular files, never a FIFO, a tty, a
// device or /proc file that would block a thread or stream forever; bounded in size; and no error
// message ever quotes what the file holds. The open itself is non-blocking where the OS has the
// flag, so even a FIFO swapped in after the check cannot hang the thread pool.
import { constants, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { AppError, type ErrorCode } from '../contract/errors.ts';

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export interface RegularFileErrors {
  /** Missing, or not a regular file. */
  notFound: ErrorCode;
  tooLarge: ErrorCode;
  /** What the file is, for messages: 'The model file', 'The transcript'. */
  what: string;
}

/** The file's stats when it is a regular file; a coded error otherwise (never blocks). */
export function statRegularFile(path: string, errors: Pick<RegularFileErrors, 'notFound' | 'what'>): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(errors.notFound, `${errors.what} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}.`, { path });
  }
  if (!stats.isFile()) throw new AppError(errors.notFound, `${errors.what} ${path} is not a regular file.`, { path });
  return stats;
}

/** Reads a whole regular file of at most `maxBytes`. */
export async function readRegularFile(path: string, maxBytes: number, errors: RegularFileErrors): Promise<Buffer> {
  statRegularFile(path, errors);
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw new AppError(errors.notFound, `${errors.what} ${path} cannot be opened (${(err as NodeJS.ErrnoException).code}).`, { path });
  }
  try {
    // The check above and this open are two steps: look again at what was opened.
    const stats = await handle.stat();
    if (!stats.isFile()) throw new AppError(errors.notFound, `${errors.what} ${path} is not a regular file.`, { path });
    if (stats.size > maxBytes) throw new AppError(errors.tooLarge, `${errors.what} is ${stats.size} bytes; at most ${maxBytes} can be read.`, { size: stats.size, max: maxBytes });
    // Read at most one byte more than allowed: a file that grew meanwhile is refused, not read on.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new AppError(errors.tooLarge, `${errors.what} is larger than ${maxBytes} bytes.`, { max: maxBytes });
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
