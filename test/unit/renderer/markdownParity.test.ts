// One markdown configuration for the app and the HTML export (issue 15, defect 9), checked on one
// fixture: both show the same elements with the same text (the export's headings sit two levels
// lower), tables and task lists are real tables and disabled checkboxes, code is highlighted, math
// is MathML, and every block takes its own direction.
import { describe, expect, it } from 'vitest';
import { JSDOM } from 'jsdom';
import createDOMPurify from 'dompurify';
import { MarkdownRenderer, type Purifier } from '../../../renderer/src/lib/markdown.ts';
import { renderMarkdown } from '../../../main/export/safeMarkdown.ts';
import { ARABIC } from '../export/fixtureChat.ts';

const window = new JSDOM('').window;
const app = new MarkdownRenderer(createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]) as unknown as Purifier);

export const PARITY_FIXTURE = [
  '# Plan',
  ARABIC,
  '- [x] done item\n- [ ] open item',
  '| name | value |\n|---|---|\n| a | 1 |',
  '```python\nx = 42  # note\n```',
  '```\n```',
  '~~gone~~ and [docs](https://example.com/docs) and <b>raw</b>',
  'Euler: $e^{i\\pi} + 1 = 0$, and it costs $5 or $10.',
  '$$\n\\frac{a}{b}\n$$',
].join('\n\n');

function dom(html: string): HTMLElement {
  const div = window.document.createElement('div');
  div.innerHTML = html;
  return div;
}

/** Tag names (headings as "h") with their own text, in document order. */
function shape(el: HTMLElement): string[] {
  return [...el.querySelectorAll('*')].map((e) => `${/^H\d$/.test(e.tagName) ? 'H' : e.tagName}:${e.children.length === 0 ? e.textContent : ''}`);
}

describe('the app and the export render markdown alike', () => {
  const inApp = dom(app.render(PARITY_FIXTURE));
  const inExport = dom(renderMarkdown(PARITY_FIXTURE));

  it('shows the same elements with the same text', () => {
    expect(shape(inExport)).toEqual(shape(inApp));
  });

  for (const [where, el] of [['app', inApp], ['export', inExport]] as const) {
    it(`renders GFM tables, task lists, highlighted code and right-to-left blocks (${where})`, () => {
      expect(el.querySelectorAll('table td')).toHaveLength(2);
      const boxes = el.querySelectorAll<HTMLInputElement>('li > input[type="checkbox"]');
      expect(boxes).toHaveLength(2);
      expect([...boxes].every((b) => b.disabled)).toBe(true);
      expect(boxes[0]!.checked).toBe(true);
      expect(el.querySelector('pre code .tok-n')?.textContent).toBe('42');
      expect(el.querySelector('del')?.textContent).toBe('gone');
      const arabic = [...el.querySelectorAll('p')].find((p) => p.textContent === ARABIC);
      expect(arabic?.getAttribute('dir')).toBe('auto');
      expect(el.querySelector('b')).toBeNull();
      // Math is MathML (no fonts, no styles): inline and as a block; prices stay text.
      expect(el.querySelectorAll('math')).toHaveLength(2);
      expect(el.querySelector('math[display="block"] mfrac')).not.toBeNull();
      expect(el.querySelector('math msup mi')?.textContent).toBe('e');
      expect(el.textContent).toContain('costs $5 or $10.');
      expect(el.textContent).toContain('<b>raw</b>');
    });
  }
});
