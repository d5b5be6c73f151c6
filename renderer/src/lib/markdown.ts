// Model output is untrusted text (house style rule 3). Two layers keep it inert:
// 1. marked never passes raw HTML through: an HTML block or tag in the answer is escaped and shows
//    as the literal text the model wrote;
// 2. the HTML marked produces then goes through DOMPurify with a small allow-list, so even a bug
//    in layer 1 cannot add a script, an event handler or a javascript: URL.
// DOMPurify needs a DOM; the caller passes the instance (the browser's window, or jsdom in tests).
import { Marked, Tokenizer, type TokenizerObject, type Tokens, type TokensList } from 'marked';
import { splitLongLines } from './longLines.ts';

/** The part of DOMPurify this module uses; structural, so tests can hand in DOMPurify(jsdomWindow). */
export interface Purifier {
  sanitize(html: string, config: PurifyConfig): unknown;
  addHook(hook: 'afterSanitizeAttributes', cb: (node: PurifyNode) => void): void;
}
export interface PurifyNode {
  nodeName: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
}
export interface PurifyConfig {
  ALLOWED_TAGS: string[];
  ALLOWED_ATTR: string[];
  ALLOW_DATA_ATTR: boolean;
  ALLOWED_URI_REGEXP: RegExp;
  RETURN_TRUSTED_TYPE: false;
}

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'a',
  'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input', 'span', 'div',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'align', 'type', 'checked', 'disabled', 'start'];
/** Only web and mail links; everything else (javascript:, data:, file:) is dropped. */
const SAFE_URL = /^(?:https?:|mailto:)/i;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Language names go into a class attribute: keep them to a harmless alphabet. */
function languageClass(lang: string | undefined): string {
  const name = (lang ?? '').trim().split(/\s+/)[0]?.replace(/[^\w+#.-]/g, '') ?? '';
  return name ? ` class="language-${name}"` : '';
}

/** A rendered top-level block; `key` is stable while the block's source is unchanged. */
export interface RenderedBlock {
  key: string;
  html: string;
}

const BLOCK_CACHE_MAX = 2000;
/** Also bounded by size: 2 000 blocks of pasted logs would otherwise hold hundreds of MB. */
const BLOCK_CACHE_MAX_CHARS = 4_000_000;
/** Lines this long are shown as plain text, unformatted (see longLines.ts). */
export const LONG_LINE_CHARS = 10_000;
const plainParagraph = (line: string): string => `<p>${escapeHtml(line)}</p>\n`;

/**
 * How deep quotes, lists, emphasis and links may nest. marked recurses once per level, so 5 000
 * `>` in an answer overflowed the stack: the chat view kept the previous chat's content and threw
 * on every switch. Past this depth the markers are shown as the text they are.
 */
export const MAX_MARKDOWN_NESTING = 32;

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

export class MarkdownRenderer {
  readonly #marked: Marked;
  readonly #purifier: Purifier;
  /** Block source → sanitized HTML: a streaming answer re-renders only its last, growing block. */
  readonly #blocks = new Map<string, string>();
  #blockChars = 0;

  constructor(purifier: Purifier) {
    this.#purifier = purifier;
    this.#marked = new Marked({
      gfm: true,
      breaks: true,
      async: false,
      tokenizer: boundedNesting(MAX_MARKDOWN_NESTING),
      renderer: {
        html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
        // Images would fetch remote URLs from an offline app on the model's say-so: show the alt text.
        image: ({ text }: Tokens.Image) => escapeHtml(text),
        code: ({ text, lang }: Tokens.Code) => `<pre><code${languageClass(lang)}>${escapeHtml(text)}</code></pre>\n`,
      },
    });
    purifier.addHook('afterSanitizeAttributes', (node) => {
      if (node.nodeName === 'A') {
        const href = node.getAttribute('href');
        if (href !== null && !SAFE_URL.test(href)) node.removeAttribute('href');
        node.setAttribute('rel', 'noopener noreferrer');
        // Opened outside the app (Electron's window-open handler hands http(s) to the OS browser).
        node.setAttribute('target', '_blank');
      }
      // GFM task lists are the only inputs we keep, and they must not be editable.
      if (node.nodeName === 'INPUT') {
        if (node.getAttribute('type') !== 'checkbox') node.removeAttribute('type');
        node.setAttribute('disabled', '');
      }
    });
  }

  /** Markdown → sanitized HTML, safe to assign to innerHTML. */
  render(markdown: string): string {
    const html = splitLongLines(markdown, LONG_LINE_CHARS).map((s) => (s.long ? plainParagraph(s.text) : this.#marked.parse(s.text, { async: false })));
    return this.#sanitize(html.join(''));
  }

  /**
   * The same HTML as render(), cut into top-level blocks (paragraphs, lists, code blocks …).
   * Each block is parsed and sanitized once and then served from a cache, so re-rendering a
   * growing answer every frame costs one lexer pass plus its last block, and the DOM of the
   * finished blocks above it is left alone.
   */
  renderBlocks(markdown: string): RenderedBlock[] {
    const out: RenderedBlock[] = [];
    const cached = (raw: string, build: () => string): string => {
      let html = this.#blocks.get(raw);
      if (html === undefined) {
        html = this.#sanitize(build());
        if (this.#blocks.size >= BLOCK_CACHE_MAX || this.#blockChars > BLOCK_CACHE_MAX_CHARS) {
          this.#blocks.clear();
          this.#blockChars = 0;
        }
        this.#blocks.set(raw, html);
        this.#blockChars += raw.length + html.length;
      }
      return html;
    };
    for (const segment of splitLongLines(markdown, LONG_LINE_CHARS)) {
      if (segment.long) {
        out.push({ key: String(out.length), html: cached(segment.text, () => plainParagraph(segment.text)) });
        continue;
      }
      const tokens = this.#marked.lexer(segment.text);
      for (const token of tokens) {
        if (token.type === 'space') continue;
        const one = Object.assign([token], { links: tokens.links }) as TokensList;
        out.push({ key: String(out.length), html: cached(token.raw, () => this.#marked.parser(one)) });
      }
    }
    return out;
  }

  #sanitize(html: string): string {
    return String(
      this.#purifier.sanitize(html, {
        ALLOWED_TAGS,
        ALLOWED_ATTR,
        ALLOW_DATA_ATTR: false,
        ALLOWED_URI_REGEXP: SAFE_URL,
        RETURN_TRUSTED_TYPE: false,
      }),
    );
  }
}
