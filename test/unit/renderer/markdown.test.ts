// The sanitizer runs against a real DOM (jsdom) and the real DOMPurify, the same library the app uses.
import { describe, expect, it } from 'vitest';
import { JSDOM } from 'jsdom';
import createDOMPurify from 'dompurify';
import { LONG_LINE_CHARS, MAX_MARKDOWN_NESTING } from '../../../main/contract/markdown.ts';
import { MarkdownRenderer, type Purifier } from '../../../renderer/src/lib/markdown.ts';

const window = new JSDOM('').window;
const md = new MarkdownRenderer(createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]) as unknown as Purifier);

/** Parse the output the way the browser will, to assert on elements instead of substrings. */
function dom(html: string): HTMLElement {
  const div = window.document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('MarkdownRenderer', () => {
  it('renders markdown', () => {
    const el = dom(md.render('# Title\n\nSome **bold** and `code`.\n\n- a\n- b'));
    expect(el.querySelector('h1')?.textContent).toBe('Title');
    expect(el.querySelector('strong')?.textContent).toBe('bold');
    expect(el.querySelector('code')?.textContent).toBe('code');
    expect(el.querySelectorAll('li')).toHaveLength(2);
  });

  it('shows a <script> in model output as text, never as an element', () => {
    const el = dom(md.render('Here you go: <script>alert(1)</script> done'));
    expect(el.querySelector('script')).toBeNull();
    expect(el.textContent).toContain('<script>alert(1)</script>');
  });

  it('shows an HTML block as text', () => {
    const el = dom(md.render('<div onclick="steal()">\n<script>alert(1)</script>\n</div>'));
    expect(el.querySelector('script')).toBeNull();
    expect(el.querySelector('[onclick]')).toBeNull();
    expect(el.textContent).toContain('<script>alert(1)</script>');
  });

  it('keeps <img onerror> inert', () => {
    const el = dom(md.render('look <img src=x onerror="alert(1)"> here'));
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('[onerror]')).toBeNull();
    expect(el.textContent).toContain('<img src=x onerror="alert(1)">');
  });

  it('drops javascript: and data: links but keeps http links, which open outside the app', () => {
    const el = dom(md.render('[a](javascript:alert(1)) [b](data:text/html,hi) [c](https://example.com)'));
    // An unsafe link is shown as its text, not as a link.
    const links = [...el.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://example.com']);
    expect(el.textContent).toContain('a b c');
    for (const a of links) expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('does not load markdown images (offline app, untrusted URLs); shows the alt text', () => {
    const el = dom(md.render('![a cat](https://example.com/cat.png)'));
    expect(el.querySelector('img')).toBeNull();
    expect(el.textContent).toContain('a cat');
  });

  it('renders fenced code escaped, with a harmless language class', () => {
    const el = dom(md.render('```js" onmouseover="x\nif (a < b) alert("<b>");\n```'));
    const code = el.querySelector('pre > code');
    expect(code?.textContent).toBe('if (a < b) alert("<b>");');
    expect(code?.querySelector('b')).toBeNull();
    expect(el.querySelector('[onmouseover]')).toBeNull();
    expect(code?.className).toBe('language-js');
  });

  it('keeps TeX inert: no link or HTML from \\href or \\htmlClass (KaTeX trust off)', () => {
    const el = dom(md.render('$\\href{javascript:alert(1)}{x}$ and $\\htmlClass{evil}{y}$'));
    expect(el.querySelector('a')).toBeNull();
    expect(el.querySelector('.evil')).toBeNull();
    // The TeX source stays only as the formula's text annotation; nothing points anywhere.
    expect(el.querySelectorAll('[href], [src]')).toHaveLength(0);
  });

  it('renders task lists as disabled checkboxes', () => {
    const el = dom(md.render('- [x] done\n- [ ] todo'));
    const boxes = [...el.querySelectorAll('input')];
    expect(boxes).toHaveLength(2);
    for (const b of boxes) expect(b.hasAttribute('disabled')).toBe(true);
    // A checkbox, not the empty text field an input without its type is (issue 15, defect 9).
    for (const b of boxes) expect(b.getAttribute('type')).toBe('checkbox');
  });
});

describe('MarkdownRenderer.renderBlocks', () => {
  const sample = '# Title\n\nFirst paragraph with [a link](https://example.com).\n\n- one\n- two\n\n```py\nprint("<b>")\n```\n\nLast <script>alert(1)</script> words';

  it('gives the same document as render(), block by block', () => {
    const whole = dom(md.render(sample));
    const joined = dom(md.renderBlocks(sample).map((b) => b.html).join(''));
    expect(joined.innerHTML.replace(/\s+/g, '')).toBe(whole.innerHTML.replace(/\s+/g, ''));
    expect(joined.querySelector('script')).toBeNull();
    expect(joined.textContent).toContain('<script>alert(1)</script>');
  });

  it('keeps finished blocks identical while the last one grows', () => {
    const first = md.renderBlocks(sample);
    const grown = md.renderBlocks(`${sample} and more`);
    expect(grown).toHaveLength(first.length);
    expect(grown.slice(0, -1)).toEqual(first.slice(0, -1));
    expect(grown.at(-1)!.html).toContain('and more');
  });

  it('bounds nesting: 5 000 `>` render as 32 quotes with the rest as text (issue 10.7)', () => {
    for (const html of [md.render(`${'>'.repeat(5000)} deep`), md.renderBlocks(`${'>'.repeat(5000)} deep`)[0]!.html]) {
      const el = dom(html);
      expect(el.querySelectorAll('blockquote')).toHaveLength(MAX_MARKDOWN_NESTING);
      expect(el.textContent).toContain(`${'>'.repeat(5000 - MAX_MARKDOWN_NESTING)} deep`);
    }
  });

  it('bounds nesting of lists, emphasis, strikethrough and quoted lists', () => {
    const cases: [string, string][] = [
      // Each under LONG_LINE_CHARS: longer single lines are shown as plain text anyway.
      ['1. '.repeat(3000) + 'x', 'ol'],
      ['> - '.repeat(2000) + 'x', 'blockquote, ul'],
      ['*a '.repeat(1500) + 'a* '.repeat(1500), 'em'],
      ['**a '.repeat(1000) + 'a** '.repeat(1000), 'strong'],
      ['~~a '.repeat(1000) + 'a~~ '.repeat(1000), 'del'],
    ];
    for (const [source, selector] of cases) {
      const count = dom(md.render(source)).querySelectorAll(selector).length;
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(MAX_MARKDOWN_NESTING);
    }
  });

  it('shows a 200 KB single line as plain text, unformatted, whole (issue 10.9)', () => {
    // Every `_` and `*` opens emphasis here: formatted, this took marked close to a minute.
    const line = '_a *b* `c` [d](e) '.repeat(11_200).slice(0, 200_000);
    for (const html of [md.render(`# Title\n\n${line}\n\nafter *this*`), md.renderBlocks(`# Title\n\n${line}\n\nafter *this*`).map((b) => b.html).join('')]) {
      const el = dom(html);
      const paragraphs = [...el.querySelectorAll('p')];
      expect(paragraphs.map((p) => p.textContent)).toEqual([line, 'after this']);
      expect(el.querySelector('h1')?.textContent).toBe('Title');
      expect(paragraphs[0]!.querySelector('em, code, a')).toBeNull();
      expect(paragraphs[1]!.querySelector('em')?.textContent).toBe('this');
    }
    // A long line inside fenced code stays code.
    const fenced = dom(md.render(`\`\`\`\n${'x'.repeat(LONG_LINE_CHARS + 1)}\n\`\`\``));
    expect(fenced.querySelector('pre code')?.textContent).toBe('x'.repeat(LONG_LINE_CHARS + 1));
  });
});
