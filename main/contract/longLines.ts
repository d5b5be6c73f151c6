// marked's inline rules (emphasis, code spans, links) search ahead from every delimiter, so their
// cost grows with the square of a paragraph's length: a pasted 200 KB line of code, data or
// random characters took seconds to tens of seconds to open. Lines that long are data, not prose
// to format: they are cut out of the markdown and shown as plain text. Fenced code is left alone
// (marked does not inline-format it, so it stays cheap and keeps its block).

export interface MarkdownSegment {
  text: string;
  /** A single line of at least the limit's length: to be shown as plain text. */
  long: boolean;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The markdown as segments: long lines on their own, the rest as it was. Linear in its length. */
export function splitLongLines(markdown: string, limit: number): MarkdownSegment[] {
  if (markdown.length < limit) return [{ text: markdown, long: false }];
  const out: MarkdownSegment[] = [];
  let pending: string[] = [];
  let fence: string | undefined;
  const flush = (): void => {
    if (pending.length > 0) out.push({ text: pending.join('\n'), long: false });
    pending = [];
  };
  for (const line of markdown.split('\n')) {
    const marker = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    } else if (marker) {
      fence = marker;
    } else if (line.length >= limit) {
      flush();
      out.push({ text: line, long: true });
      continue;
    }
    pending.push(line);
  }
  flush();
  return out;
}
