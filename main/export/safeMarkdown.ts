// Model output → HTML for the exported page: the app's own markdown configuration
// (main/contract/markdown.ts), so a chat looks the same in the app and in its export — tables,
// task lists, highlighted code, right-to-left blocks. Headings sit two levels under the page's.
import { createMarkdown, escapeHtml, highlightCode } from '../contract/markdown.ts';

export { escapeHtml, highlightCode };

const exportMarkdown = createMarkdown({ headingShift: 2 });

/** Markdown → safe HTML (raw HTML and images as text, only http(s)/mailto links). */
export function renderMarkdown(source: string): string {
  return exportMarkdown.parse(source);
}
