import { describe, expect, it } from 'vitest';
import { LONG_LINE_CHARS, MAX_MARKDOWN_NESTING } from '../../../main/contract/markdown.ts';
import { escapeHtml, highlightCode, renderMarkdown } from '../../../main/export/safeMarkdown.ts';
import { HOSTILE } from './fixtureChat.ts';

/** Every tag in the output, by name: only ones this renderer emits may appear. */
function tags(html: string): Set<string> {
  return new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
}
const ALLOWED = new Set([
  'p',
  'br',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'blockquote',
  'hr',
  'pre',
  'code',
  'span',
  'strong',
  'em',
  'a',
  'del',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'input',
]);
/** The HTML without marked's newlines between tags. */
const r = (md: string): string => renderMarkdown(md).replace(/\n/g, '');

describe('safe markdown for the HTML export', () => {
  it('escapes raw HTML everywhere: text, code, headings, lists, links', () => {
    const inputs = [
      HOSTILE,
      `# <script>alert(1)</script>`,
      `- <img src=x onerror=alert(1)>\n- ok`,
      '```html\n<script>alert(1)</script>\n```',
      '`<script>`',
      '[click](javascript:alert(1)) [x](https://e.com/"onmouseover="alert(1))',
      '> <iframe src=https://example.com>',
      '![tracker](https://example.com/pixel.png)',
    ];
    for (const input of inputs) {
      const html = renderMarkdown(input);
      for (const t of tags(html)) expect(ALLOWED, `${t} in ${html}`).toContain(t);
      expect(html).not.toMatch(/<(script|img|iframe|link)\b/i);
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/i); // an event handler inside a tag (as text it is harmless)
      expect(html).not.toContain('href="javascript:');
    }
    // An image is its alt text: the export never points at a URL the model wrote.
    expect(r('![tracker](https://example.com/pixel.png)')).toBe('<p dir="auto">tracker</p>');
    // The quote stays inside the attribute, escaped: no new attribute can start.
    expect(r('[x](https://e.com/"onmouseover="alert(1))')).toContain(
      'href="https://e.com/&quot;onmouseover=&quot;alert(1)"',
    );
  });

  it('renders the subset: headings, emphasis, code spans, lists, quotes, fenced code, safe links', () => {
    expect(r('# Title')).toBe('<h3 dir="auto">Title</h3>');
    expect(r('**b** *i* `c<d`')).toBe('<p dir="auto"><strong>b</strong> <em>i</em> <code>c&lt;d</code></p>');
    expect(r('- a\n- b')).toBe('<ul><li dir="auto">a</li><li dir="auto">b</li></ul>');
    expect(r('1. a\n2. b')).toBe('<ol><li dir="auto">a</li><li dir="auto">b</li></ol>');
    expect(r('> q')).toBe('<blockquote dir="auto"><p dir="auto">q</p></blockquote>');
    expect(r('[docs](https://example.com/a?b=1&c=2)')).toBe(
      '<p dir="auto"><a href="https://example.com/a?b=1&amp;c=2" rel="noreferrer noopener">docs</a></p>',
    );
    expect(r('snake_case_name stays')).toBe('<p dir="auto">snake_case_name stays</p>');
    expect(r('```\nunterminated')).toBe('<pre class="code"><code>unterminated</code></pre>');
  });

  it('highlights code by token class, escaped', () => {
    expect(highlightCode('const s = "<b>"; // hi', 'js')).toBe(
      '<span class="tok-k">const</span> s = <span class="tok-s">&quot;&lt;b&gt;&quot;</span>; <span class="tok-c">// hi</span>',
    );
    expect(highlightCode('x = 42 # note', 'python')).toBe(
      'x = <span class="tok-n">42</span> <span class="tok-c"># note</span>',
    );
    expect(highlightCode('#include <a>', 'c')).toBe('#include &lt;a&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('bounds quote nesting: 5 000 `>` export as 32 quotes and the rest as text (issue 10.7)', () => {
    const html = renderMarkdown(`${'>'.repeat(5000)} deep\n\nafter`);
    expect(html.match(/<blockquote[ >]/g)).toHaveLength(MAX_MARKDOWN_NESTING);
    expect(html).toContain(`${'&gt;'.repeat(5000 - MAX_MARKDOWN_NESTING)} deep`);
    expect(html).toContain('<p dir="auto">after</p>');
    // Under the long-line limit, a line of markers still nests (bounded); at the limit it is plain text.
    expect(renderMarkdown('> '.repeat(4000))).toContain('<blockquote');
  });

  it('exports a 200 KB single line as escaped plain text, whole (issue 10.9)', () => {
    const line = '[a](<b> `c '.repeat(20_000).slice(0, 200_000);
    expect(line.length).toBeGreaterThan(LONG_LINE_CHARS);
    expect(renderMarkdown(`${line}\n\n**short**`)).toBe(`<p dir="auto">${escapeHtml(line)}</p>\n<p dir="auto"><strong>short</strong></p>\n`);
  });
});
