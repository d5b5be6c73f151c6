// Keyset cursors: opaque to callers, validated when they come back (they cross the API boundary).
import { AppError } from '../contract/errors.ts';

function bad(cursor: string): AppError {
  return new AppError('api.badRequest', 'Invalid page cursor', { cursor: cursor.slice(0, 50) });
}

const INT = /^(0|[1-9][0-9]{0,15})$/;

/** Conversation list: the (updated_at, id) of the last row of the previous page. */
export function encodeConversationCursor(updatedAt: number, id: number): string {
  return `c${updatedAt}.${id}`;
}
export function decodeConversationCursor(cursor: string): { updatedAt: number; id: number } {
  const m = /^c([0-9]+)\.([0-9]+)$/.exec(cursor);
  if (!m || !INT.test(m[1] ?? '') || !INT.test(m[2] ?? '')) throw bad(cursor);
  return { updatedAt: Number(m[1]), id: Number(m[2]) };
}

/** Active path: the id of the oldest message of the previous page; the next page ends at its parent. */
export function encodePathCursor(messageId: number): string {
  return `m${messageId}`;
}
export function decodePathCursor(cursor: string): number {
  const m = /^m([0-9]+)$/.exec(cursor);
  if (!m || !INT.test(m[1] ?? '')) throw bad(cursor);
  return Number(m[1]);
}
