// Markdown → HTML, one configuration for the app and the HTML export (issue 15, defect 9): GFM
// (tables, task lists, strikethrough), fenced code highlighted by token class, every block with
// dir="auto" (an Arabic paragraph reads right to left). Model output is untrusted text, so the
// configuration is safe by construction: raw HTML comes out as visible text, images as their alt
// text (an offline app never fetches a URL on the model's say-so), links only for http(s) and
// mailto, and task-list checkboxes disabled. Math ($…$, $$…$$, \(…\), \[…\]) becomes MathML
// through KaTeX (no fonts or styles needed, trust off: no links or HTML from TeX). The app also runs
// the result through DOMPurify. Environment-free (marked, katex): the renderer and main import it.
import katex from 'katex';
import { Marked, Tokenizer, type RendererExtension, type Token, type TokenizerAndRendererExtension, type TokenizerObject, type Tokens, type TokensList } from 'marked';
import { splitLongLines } from './longLines.ts';

/**
 * How deep quotes, lists, emphasis and links may nest. marked recurses once per level, so 5 000
 * `>` in an answer overflowed the stack (the chat view kept the previous chat's content and threw
 * on every switch; the export answered 500). Past this depth the markers are shown as text.
 */
export const MAX_MARKDOWN_NESTING = 32;
/** Lines this long are shown (and exported) as plain escaped text, unformatted: see longLines.ts. */
export const LONG_LINE_CHARS = 10_000;

/** The tokenizers that recurse, each refusing (so the text falls through to plain text) when too deep. */
function boundedNesting(limit: number): TokenizerObject {
  let depth = 0;
  const bounded =
    <A extends unknown[], R>(original: (this: Tokenizer, ...args: A) => R) =>
    function (this: Tokenizer, ...args: A): R | undefined {
      if (depth >= limit) return undefined;
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
      }
    };
  const p = Tokenizer.prototype;
  return {
    blockquote: bounded(p.blockquote),
    list: bounded(p.list),
    emStrong: bounded(p.emStrong),
    del: bounded(p.del),
    link: bounded(p.link),
    reflink: bounded(p.reflink),
  };
}

/** A long line's block: no tokenizer makes it (lexer() does), its renderer escapes it whole. */
const LONG_LINE: RendererExtension = { name: 'longLine', renderer: (token) => `<p>${escapeHtml(String(token.text))}</p>\n` };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);
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


const SAFE_URL = /^(?:https?:|mailto:)/i;

/** Language names go into a class attribute: keep them to a harmless alphabet. */
function languageName(lang: string | undefined): string {
  return (lang ?? '').trim().split(/\s+/)[0]?.replace(/[^\w+#.-]/g, '') ?? '';
}

/** TeX → MathML; a formula KaTeX cannot parse shows as its source, in the error colour. */
export function renderMath(tex: string, display: boolean): string {
  return katex.renderToString(tex, { displayMode: display, output: 'mathml', throwOnError: false, trust: false, strict: 'ignore' });
}

const MATH_BLOCK = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/;
// $…$ only when it hugs its content and is not a price ("$5 and $10"): no space inside the
// dollars, no digit right after the closing one.
const MATH_INLINE = /^(?:\$(?!\s)((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)|\\\((.+?)\\\))/;

const MATH: TokenizerAndRendererExtension[] = [
  {
    name: 'mathBlock',
    level: 'block',
    start: (src: string) => src.match(/\$\$|\\\[/)?.index,
    tokenizer(src: string) {
      const m = MATH_BLOCK.exec(src);
      if (m) return { type: 'mathBlock', raw: m[0], text: (m[1] ?? m[2] ?? '').trim() };
      return undefined;
    },
    renderer: (token) => `<div class="math">${renderMath(String(token.text), true)}</div>\n`,
  },
  {
    name: 'mathInline',
    level: 'inline',
    start: (src: string) => src.match(/\$|\\\(/)?.index,
    tokenizer(src: string) {
      const m = MATH_INLINE.exec(src);
      if (m) return { type: 'mathInline', raw: m[0], text: m[1] ?? m[2] ?? '' };
      return undefined;
    },
    renderer: (token) => renderMath(String(token.text), false),
  },
];

export interface MarkdownOptions {
  /** Added to heading levels (the export nests a message under the page's own headings). */
  headingShift?: number;
}

export interface SharedMarkdown {
  /** Markdown → HTML. */
  parse(markdown: string): string;
  /** The top-level tokens, for rendering block by block (the app's streaming view). */
  lexer(markdown: string): TokensList;
  /** One block (with the document's link definitions) → HTML. */
  parseBlock(token: Token, links: TokensList['links']): string;
}

/** Every block gets its own direction; headings move by `shift` levels (at most h6). */
function finish(html: string, shift: number): string {
  let out = html.replace(/<(p|li|td|th|blockquote|h[1-6])(?=[\s>])/g, '<$1 dir="auto"');
  if (shift > 0) out = out.replace(/<(\/?)h([1-6])(?=[\s>])/g, (_m, slash: string, n: string) => `<${slash}h${Math.min(6, Number(n) + shift)}`);
  return out;
}

export function createMarkdown(options: MarkdownOptions = {}): SharedMarkdown {
  const shift = options.headingShift ?? 0;
  const marked = new Marked({
    gfm: true,
    breaks: true,
    async: false,
    extensions: [...MATH, LONG_LINE],
    tokenizer: boundedNesting(MAX_MARKDOWN_NESTING),
    renderer: {
      html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
      image: ({ text }: Tokens.Image) => escapeHtml(text),
      link(this: { parser: { parseInline(tokens: Token[]): string } }, { href, title, tokens }: Tokens.Link) {
        const label = this.parser.parseInline(tokens);
        if (!SAFE_URL.test(href)) return label;
        return `<a href="${escapeHtml(href)}"${title ? ` title="${escapeHtml(title)}"` : ''} rel="noreferrer noopener">${label}</a>`;
      },
      code: ({ text, lang }: Tokens.Code) => {
        const name = languageName(lang);
        const label = name ? `<span class="lang">${escapeHtml(name)}</span>` : '';
        return `<pre class="code">${label}<code${name ? ` class="language-${name}"` : ''}>${highlightCode(text, name)}</code></pre>\n`;
      },
      checkbox: ({ checked }: Tokens.Checkbox) => `<input type="checkbox" disabled${checked ? ' checked' : ''}> `,
    },
  });
  // Long lines are cut out before marked sees them (its inline rules are quadratic on one line).
  const lexer = (markdown: string): TokensList => {
    const segments = splitLongLines(markdown, LONG_LINE_CHARS);
    if (segments.length === 1 && !segments[0]!.long) return marked.lexer(markdown);
    const tokens: Token[] = [];
    const links: TokensList['links'] = {};
    for (const s of segments) {
      if (s.long) tokens.push({ type: 'longLine', raw: `${s.text}\n`, text: s.text });
      else {
        const part = marked.lexer(s.text);
        for (const t of part) tokens.push(t);
        Object.assign(links, part.links);
      }
    }
    return Object.assign(tokens, { links });
  };
  return {
    parse: (markdown) => finish(marked.parser(lexer(markdown)), shift),
    lexer,
    parseBlock: (token, links) => finish(marked.parser(Object.assign([token], { links }) as TokensList), shift),
  };
}
