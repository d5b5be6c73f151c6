// Model output is untrusted text (house style rule 3). Two layers keep it inert:
// 1. the shared markdown configuration (main/contract/markdown.ts, the same one the HTML export
//    uses) never passes raw HTML through: an HTML block or tag in the answer is escaped and shows
//    as the literal text the model wrote;
// 2. the HTML marked produces then goes through DOMPurify with a small allow-list, so even a bug
//    in layer 1 cannot add a script, an event handler or a javascript: URL.
// DOMPurify needs a DOM; the caller passes the instance (the browser's window, or jsdom in tests).
import { createMarkdown, type SharedMarkdown } from '../../../main/contract/markdown.ts';

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
  ADD_URI_SAFE_ATTR: string[];
  RETURN_TRUSTED_TYPE: false;
}

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'a',
  'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input', 'span', 'div',
  // KaTeX's MathML output (main/contract/markdown.ts renders $…$ with trust off).
  'math', 'semantics', 'annotation', 'mrow', 'mi', 'mn', 'mo', 'ms', 'mtext', 'mspace', 'msup', 'msub', 'msubsup',
  'mfrac', 'msqrt', 'mroot', 'mover', 'munder', 'munderover', 'mtable', 'mtr', 'mtd', 'mstyle', 'mpadded', 'mphantom', 'menclose',
];
const MATH_ATTR = [
  'xmlns', 'display', 'encoding', 'mathvariant', 'stretchy', 'fence', 'separator', 'lspace', 'rspace', 'accent', 'accentunder',
  'columnalign', 'rowspacing', 'columnspacing', 'width', 'height', 'depth', 'linethickness', 'scriptlevel', 'displaystyle',
  'minsize', 'maxsize', 'movablelimits', 'notation', 'symmetric', 'largeop', 'voffset',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'align', 'type', 'checked', 'disabled', 'start', 'dir', ...MATH_ATTR];
/**
 * DOMPurify checks every attribute not on its URI-safe list against ALLOWED_URI_REGEXP, so
 * type="checkbox", dir="auto" and start="3" were dropped as if they were bad URLs — a task-list
 * checkbox without its type became an empty text field (issue 15, defect 9).
 */
const URI_SAFE = ['type', 'dir', 'start', ...MATH_ATTR.filter((a) => a !== 'xmlns')];
/** Only web and mail links; everything else (javascript:, data:, file:) is dropped. */
const SAFE_URL = /^(?:https?:|mailto:)/i;

/** A rendered top-level block; `key` is stable while the block's source is unchanged. */
export interface RenderedBlock {
  key: string;
  html: string;
}

const BLOCK_CACHE_MAX = 2000;
/** …and by size: a few huge blocks (a pasted log) must not pin hundreds of MB of source and HTML. */
const BLOCK_CACHE_MAX_CHARS = 4_000_000;

export class MarkdownRenderer {
  readonly #markdown: SharedMarkdown;
  readonly #purifier: Purifier;
  /** Block source → sanitized HTML: a streaming answer re-renders only its last, growing block. */
  readonly #blocks = new Map<string, string>();
  #blockChars = 0;

  constructor(purifier: Purifier) {
    this.#purifier = purifier;
    this.#markdown = createMarkdown();
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
    return this.#sanitize(this.#markdown.parse(markdown));
  }

  /**
   * The same HTML as render(), cut into top-level blocks (paragraphs, lists, code blocks …).
   * Each block is parsed and sanitized once and then served from a cache, so re-rendering a
   * growing answer every frame costs one lexer pass plus its last block, and the DOM of the
   * finished blocks above it is left alone.
   */
  renderBlocks(markdown: string): RenderedBlock[] {
    const tokens = this.#markdown.lexer(markdown);
    const out: RenderedBlock[] = [];
    tokens.forEach((token, i) => {
      if (token.type === 'space') return;
      let html = this.#blocks.get(token.raw);
      if (html === undefined) {
        html = this.#sanitize(this.#markdown.parseBlock(token, tokens.links));
        if (this.#blocks.size >= BLOCK_CACHE_MAX || this.#blockChars + token.raw.length + html.length > BLOCK_CACHE_MAX_CHARS) {
          this.#blocks.clear();
          this.#blockChars = 0;
        }
        this.#blocks.set(token.raw, html);
        this.#blockChars += token.raw.length + html.length;
      }
      out.push({ key: String(i), html });
    });
    return out;
  }

  #sanitize(html: string): string {
    return String(
      this.#purifier.sanitize(html, {
        ALLOWED_TAGS,
        ALLOWED_ATTR,
        ALLOW_DATA_ATTR: false,
        ALLOWED_URI_REGEXP: SAFE_URL,
        ADD_URI_SAFE_ATTR: URI_SAFE,
        RETURN_TRUSTED_TYPE: false,
      }),
    );
  }
}
