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

/** Prefixes up to this many characters have their own FTS5 index (migration 0001: prefix = '2 3'). */
export const INDEXED_PREFIX_CHARS = 3;

export interface NarrowedPrefixQuery {
  /** The query with its last word cut to an indexed prefix: a superset FTS5 can stream. */
  match: string;
  /** The last word as the index folds it (lower case, no diacritics), which a token must start with. */
  prefix: string;
}

/** Case and diacritics folded as FTS5's `unicode61 remove_diacritics 2` does. */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * For a query whose last word is a longer prefix than the index holds: FTS5 would read every
 * row of every term with that prefix before the first result ("what"* at 1 000 000 messages:
 * hundreds of ms, issue 14), so search streams the indexed 3-letter prefix instead and checks each
 * candidate's words (tokenIsPrefixed). Only for a last word of letters and digits (anything else
 * the tokenizer splits into several tokens).
 */
export function narrowedPrefixQuery(input: string): NarrowedPrefixQuery | undefined {
  const match = toFtsQuery(input);
  if (match === undefined || !match.endsWith('*')) return undefined;
  const start = match.lastIndexOf(' "') + 1;
  const last = match.slice(start + 1, -2);
  const chars = [...last];
  if (chars.length <= INDEXED_PREFIX_CHARS || !/^[\p{L}\p{N}]+$/u.test(last)) return undefined;
  return { match: `${match.slice(0, start)}"${chars.slice(0, INDEXED_PREFIX_CHARS).join('')}"*`, prefix: foldForSearch(last) };
}

/** Whether some word of `text` starts with `prefix` (folded, see foldForSearch). */
export function tokenIsPrefixed(text: string, prefix: string): boolean {
  return foldForSearch(text)
    .split(/[^\p{L}\p{N}\p{Co}]+/u)
    .some((token) => token.startsWith(prefix));
}
