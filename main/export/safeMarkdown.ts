// Model output → HTML for the exported page. Every character of the input is escaped first; only
// the markup this file emits itself is HTML. A safe subset: headings, paragraphs, lists, quotes,
// rules, fenced code (highlighted here), inline code, bold, italic, and links to http(s)/mailto
// (shown as links, never fetched). Markdown images and raw HTML come out as visible text. Each
// block takes its own direction (dir=auto), so an Arabic paragraph reads right to left.

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`,
  );
}

const KEYWORDS = new Set(
  (
    'abstract as async await break case catch class const continue def default del do elif else enum export extends false final finally fn for from func function go if impl import in interface is lambda let loop match mod mut new nil none null of package pass private protected pub public raise return self static struct super switch this throw trait true try type typeof use var void while with yield ' +
    'True False None int float str bool char double long short unsigned signed string'
  ).split(' '),
);

// One regex, alternatives in priority order: comment, string, number, word.
const TOKEN =
  /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|--[^\n]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b|\b0x[0-9a-f]+\b)|([A-Za-z_][A-Za-z0-9_]*)/gi;
const HASH_COMMENT_LANGS = new Set([
  'python',
  'py',
  'sh',
  'bash',
  'shell',
  'zsh',
  'ruby',
  'rb',
  'yaml',
  'yml',
  'toml',
  'perl',
  'r',
  'make',
  'makefile',
  'dockerfile',
]);
const DASH_COMMENT_LANGS = new Set(['sql', 'lua', 'haskell', 'hs']);

/** Highlight code by token class (comment, string, number, keyword); the output is escaped HTML. */
export function highlightCode(code: string, lang: string): string {
  const l = lang.toLowerCase();
  let out = '';
  let last = 0;
  for (const m of code.matchAll(TOKEN)) {
    const [text, comment, str, num, word] = m;
    let cls: string | undefined;
    if (comment !== undefined) {
      const hash = comment.startsWith('#');
      const dash = comment.startsWith('--');
      if ((hash && !HASH_COMMENT_LANGS.has(l)) || (dash && !DASH_COMMENT_LANGS.has(l))) {
        // Not a comment in this language: the rest of the line stays plain text.
        continue;
      }
      cls = 'c';
    } else if (str !== undefined) cls = 's';
    else if (num !== undefined) cls = 'n';
    else if (word !== undefined && KEYWORDS.has(word)) cls = 'k';
    out += escapeHtml(code.slice(last, m.index));
    out += cls ? `<span class="tok-${cls}">${escapeHtml(text)}</span>` : escapeHtml(text);
    last = m.index + text.length;
  }
  return out + escapeHtml(code.slice(last));
}

const SAFE_URL = /^(https?:\/\/|mailto:)[^\s]*$/i;

/**
 * Text this long is data, not prose to format: the link and code-span rules search ahead from
 * every bracket and backtick (a 200 KB line of `[a](` took 22 s), so it is only escaped.
 */
export const LONG_INLINE_CHARS = 10_000;

/** Inline markdown on one paragraph's raw text; returns HTML. */
export function renderInline(raw: string): string {
  if (raw.length >= LONG_INLINE_CHARS) return escapeHtml(raw).replace(/\n/g, '<br>\n');
  const codes: string[] = [];
  // Code spans first, out of reach of the other rules; placeholders use a private-use character.
  let text = raw.replace(/\uE000/g, '').replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_m, _t, code: string) => {
    codes.push(`<code>${escapeHtml(code.trim() === '' ? code : code.replace(/^ (.*) $/s, '$1'))}</code>`);
    return `\uE000${codes.length - 1}\uE000`;
  });
  text = escapeHtml(text);
  text = text.replace(/!?\[([^\]\n]+)\]\(([^)\s]+)\)/g, (m, label: string, url: string) => {
    const plain = url.replace(/&amp;/g, '&');
    if (m.startsWith('!') || !SAFE_URL.test(plain)) return m;
    return `<a href="${url}" rel="noreferrer noopener">${label}</a>`;
  });
  text = text.replace(
    /\*\*([^*\n]+)\*\*|__([^_\n]+)__/g,
    (_m, a?: string, b?: string) => `<strong>${a ?? b}</strong>`,
  );
  text = text.replace(
    /(^|[^*\w])\*([^*\n]+)\*(?!\*)|(^|[^_\w])_([^_\n]+)_(?![_\w])/g,
    (_m, p1?: string, a?: string, p2?: string, b?: string) => `${p1 ?? p2 ?? ''}<em>${a ?? b}</em>`,
  );
  text = text.replace(/\n/g, '<br>\n');
  return text.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => codes[Number(i)] ?? '');
}

/**
 * Quotes nest by recursion; deeper than this, the remaining `>` markers are shown as text. Model
 * output is untrusted: 5 000 `>` in a row overflowed the stack and the export answered 500.
 */
export const MAX_QUOTE_DEPTH = 32;

/** Block-level markdown → HTML. */
export function renderMarkdown(source: string): string {
  return renderBlocks(source, 0);
}

function renderBlocks(source: string, depth: number): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = (): void => {
    if (para.length > 0) out.push(`<p dir="auto">${renderInline(para.join('\n'))}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      flush();
      const marker = fence[1]!;
      const lang = fence[2] ?? '';
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(marker); i++) body.push(lines[i]!);
      const label = lang ? `<span class="lang">${escapeHtml(lang)}</span>` : '';
      out.push(`<pre class="code">${label}<code>${highlightCode(body.join('\n'), lang)}</code></pre>`);
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(heading[1]!.length + 2, 6); // the message sits under the page's own headings
      out.push(`<h${level} dir="auto">${renderInline(heading[2]!)}</h${level}>`);
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push('<hr>');
      continue;
    }
    const list = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+/.exec(line);
    if (list) {
      flush();
      const ordered = /\d/.test(list[1]!);
      const items: string[] = [];
      while (i < lines.length) {
        const m = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(lines[i]!);
        if (!m || /\d/.test(m[1]!) !== ordered) break;
        const item = [m[2]!];
        while (
          i + 1 < lines.length &&
          /^\s{2,}\S/.test(lines[i + 1]!) &&
          !/^\s{0,3}([-*+]|\d{1,9}[.)])\s+/.test(lines[i + 1]!)
        )
          item.push(lines[++i]!.trim());
        items.push(`<li dir="auto">${renderInline(item.join('\n'))}</li>`);
        i++;
      }
      i--;
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`);
      continue;
    }
    if (depth < MAX_QUOTE_DEPTH && /^\s{0,3}>/.test(line)) {
      flush();
      const quoted: string[] = [];
      for (; i < lines.length && /^\s{0,3}>/.test(lines[i]!); i++)
        quoted.push(lines[i]!.replace(/^\s{0,3}>\s?/, ''));
      i--;
      out.push(`<blockquote>${renderBlocks(quoted.join('\n'), depth + 1)}</blockquote>`);
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return out.join('\n');
}
