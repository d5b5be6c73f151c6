// Turning what a user types into an FTS5 query that can never be a syntax error: every word is a
// quoted phrase (quotes doubled), so `"`, AND, OR, NEAR, `*`, `:` or `-` are just text. Words are
// ANDed; the last one is a prefix match, so results appear while typing (from two characters on:
// a one-letter prefix matches nearly everything and is not in the prefix index).
import { SEARCH_QUERY_MAX_CHARS } from '../contract/chat.ts';

const WORD = /[\p{L}\p{N}]/u;

/** The FTS5 MATCH expression for `input`, or undefined when there is nothing searchable in it. */
export function toFtsQuery(input: string): string | undefined {
  const words = input
    .slice(0, SEARCH_QUERY_MAX_CHARS)
    .split(/\s+/u)
    .filter((w) => WORD.test(w))
    .slice(0, 32);
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w.replaceAll('"', '""')}"${i === words.length - 1 && [...w].length >= 2 ? '*' : ''}`).join(' ');
}
