// The self-contained HTML transcript: one file, images as data: URIs, no script, and a CSP that
// allows nothing but its own stylesheet (by hash) and data: images, so even a slip in escaping
// could neither run code nor make a request. Light and dark follow the system; print CSS for PDF.
import { createHash } from 'node:crypto';
import type { ConversationSummary } from '../contract/chat.ts';
import type { ExportContext } from './exportContext.ts';
import { escapeHtml, renderMarkdown } from './safeMarkdown.ts';
import { conversationsInScope, messagePages } from './source.ts';

export const HTML_STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1d21; --muted: #5f6570; --user: #eef2f8; --border: #d9dde3; --code: #f5f6f8;
  --k: #8e3ab5; --s: #1a7f37; --n: #b35900; --c: #6b7280; }
@media (prefers-color-scheme: dark) { :root { --bg: #16181c; --fg: #e6e8eb; --muted: #9aa1ac; --user: #23272f; --border: #343a44; --code: #1f2329;
  --k: #d2a8ff; --s: #7ee787; --n: #ffa657; --c: #8b949e; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 52rem; padding: 2rem 1.25rem; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "Noto Sans Arabic", sans-serif, "Noto Color Emoji"; }
header.conversation { border-bottom: 1px solid var(--border); margin: 2.5rem 0 1rem; }
header.conversation:first-of-type { margin-top: 0; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: .85rem; margin: 0 0 .75rem; }
article.message { margin: 1rem 0; padding: .75rem 1rem; border-radius: 10px; border: 1px solid var(--border); overflow-wrap: anywhere; }
article.user { background: var(--user); }
.role { font-weight: 600; font-size: .85rem; color: var(--muted); margin-bottom: .25rem; }
.body > :first-child { margin-top: 0; } .body > :last-child { margin-bottom: 0; }
pre.code { position: relative; background: var(--code); border: 1px solid var(--border); border-radius: 8px; padding: .75rem; overflow-x: auto;
  white-space: pre-wrap; font: 13.5px/1.45 ui-monospace, "DejaVu Sans Mono", "Noto Sans Mono", monospace; }
pre.code .lang { display: block; color: var(--muted); font-size: .75rem; margin-bottom: .25rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; background: var(--code); padding: 0 .2em; border-radius: 4px; }
pre code { background: none; padding: 0; }
.tok-k { color: var(--k); } .tok-s { color: var(--s); } .tok-n { color: var(--n); } .tok-c { color: var(--c); font-style: italic; }
blockquote { margin: .5rem 0; padding-left: .75rem; border-left: 3px solid var(--border); color: var(--muted); }
.math { overflow-x: auto; margin: .5rem 0; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid var(--border); padding: .25rem .5rem; }
li:has(> input[type="checkbox"]) { list-style: none; } li > input[type="checkbox"] { margin: 0 .4em 0 -1.2em; }
img.attached { display: block; max-width: 100%; height: auto; border-radius: 8px; margin: .5rem 0; }
.status { color: var(--muted); font-size: .8rem; font-style: italic; }
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #444; --user: #f3f5f8; --code: #f6f6f6; --border: #ccc; --k: #6f2b91; --s: #176b2e; --n: #8a4500; --c: #555; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  article.message, pre.code, img.attached { break-inside: avoid-page; }
  article.message { break-inside: auto; }
  header.conversation { break-before: page; } header.conversation:first-of-type { break-before: auto; }
}
`;

const STYLE_HASH = createHash('sha256').update(HTML_STYLE).digest('base64');
export const HTML_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;

/** The image types a browser shows and none of which can carry script. */
const SAFE_IMAGE_MIME = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif']);
const ROLE_LABEL = { user: 'You', assistant: 'Chameleon', system: 'System' } as const;

const date = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

function conversationHeader(c: ConversationSummary): string {
  return `<header class="conversation"><h1 dir="auto">${escapeHtml(c.title || 'Untitled chat')}</h1><p class="meta">Started ${date(c.createdAt)} · last activity ${date(c.updatedAt)}</p></header>\n`;
}

export async function writeHtmlTranscript(ctx: ExportContext): Promise<void> {
  const { sink } = ctx;
  let pageTitle = `${ctx.progress.state.conversationsTotal} conversations`;
  if (ctx.scope.kind === 'conversation')
    pageTitle = ctx.reader.getConversation(ctx.scope.id).title || 'Untitled chat';
  await sink.write(
    `<!doctype html>\n<html lang="und"><head><meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">\n` +
      `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="${escapeHtml(`${ctx.app.name} ${ctx.app.version}`)}">\n` +
      `<title>${escapeHtml(pageTitle)}</title>\n<style>${HTML_STYLE}</style></head>\n<body>\n`,
  );
  for (const c of conversationsInScope(ctx.reader, ctx.scope)) {
    await sink.write(conversationHeader(c));
    for (const page of messagePages(ctx.reader.transcripts, c, 'active')) {
      for (const m of page) {
        let body = '';
        for (const p of m.parts) {
          if (p.kind === 'text')
            body +=
              m.role === 'user'
                ? `<p>${escapeHtml(p.text).replace(/\n/g, '<br>\n')}</p>`
                : renderMarkdown(p.text);
          else {
            const { bytes, mime } = ctx.images.read(p.imageHash);
            if (!SAFE_IMAGE_MIME.has(mime))
              body += `<p class="status">[image of type ${escapeHtml(mime)} not shown]</p>`;
            else
              body += `<img class="attached" alt="${p.kind === 'generatedImage' ? 'Generated' : 'Attached'} image ${p.width}×${p.height}" width="${p.width}" height="${p.height}" src="data:${mime};base64,${Buffer.from(bytes).toString('base64')}">`;
          }
        }
        const meta = [
          date(m.createdAt),
          m.model ? escapeHtml(m.model.fileName) : '',
          // A remote engine is named; "this computer" goes without saying.
          m.engine && m.engine.kind !== 'local' ? escapeHtml(`via ${m.engine.name}`) : '',
          m.status !== 'complete' ? escapeHtml(m.status) : '',
        ]
          .filter(Boolean)
          .join(' · ');
        await sink.write(
          `<article class="message ${m.role}"><div class="role">${ROLE_LABEL[m.role]} <span class="meta">${meta}</span></div><div class="body" dir="auto">${body}</div></article>\n`,
        );
      }
      ctx.progress.messages(page.length);
    }
    ctx.progress.conversationDone(c);
  }
  await sink.write(
    `<p class="meta">Exported ${date(ctx.now)} from ${escapeHtml(ctx.app.name)} ${escapeHtml(ctx.app.version)}.</p>\n</body></html>\n`,
  );
}
