// Markdown transcripts: one .md with images as data: URIs, or a .zip with transcript.md and an
// images/ folder it links to. Front matter (YAML, values JSON-quoted) carries title, dates, model
// and sampling settings; each message is a heading plus its text as the model wrote it.
import { imageExtension, type ConversationSummary } from '../contract/chat.ts';
import type { ExportContext } from './exportContext.ts';
import type { ByteSink } from './fileSink.ts';
import { conversationsInScope, messagePages } from './source.ts';
import { ZipWriter } from './zipWriter.ts';

const ROLE = { user: 'You', assistant: 'Chameleon', system: 'System' } as const;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The model and sampling of a conversation's first answer on the exported branch (pages until found). */
function firstAnswerSettings(
  ctx: ExportContext,
  c: ConversationSummary,
): { model?: string; sampling?: unknown } {
  for (const page of messagePages(ctx.reader.transcripts, c, 'active')) {
    const m = page.find((x) => x.role === 'assistant' && (x.model || x.sampling));
    if (m)
      return {
        ...(m.model ? { model: m.model.fileName } : {}),
        ...(m.sampling ? { sampling: m.sampling } : {}),
      };
  }
  return {};
}

function frontMatter(fields: Record<string, unknown>): string {
  const lines = Object.entries(fields).flatMap(([k, v]) =>
    v === undefined ? [] : [`${k}: ${JSON.stringify(v)}`],
  );
  return `---\n${lines.join('\n')}\n---\n\n`;
}

/**
 * Model output is untrusted, and Markdown viewers pass raw HTML through: outside code, a `<` that
 * opens a tag, comment or declaration becomes `&lt;` (shown as `<`), as the HTML export escapes
 * it. Fenced code blocks and inline code spans keep their text as written.
 */
export function escapeRawHtml(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence !== undefined) {
        if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
        return line;
      }
      if (marker) {
        fence = marker;
        return line;
      }
      // Split around code spans (a run of backticks to the next run of the same length).
      return line
        .split(/(`+[^`]*?`+)/)
        .map((piece, i) => (i % 2 === 1 ? piece : piece.replace(/<(?=[A-Za-z/!?])/g, '&lt;')))
        .join('');
    })
    .join('\n');
}

type ImageLink = (sha256: string, alt: string) => Promise<string>;

async function writeMarkdown(ctx: ExportContext, out: ByteSink, image: ImageLink): Promise<void> {
  let first = true;
  for (const c of conversationsInScope(ctx.reader, ctx.scope)) {
    const settings = firstAnswerSettings(ctx, c);
    const head = {
      title: c.title || 'Untitled chat',
      created: iso(c.createdAt),
      updated: iso(c.updatedAt),
      exported: iso(ctx.now),
      model: settings.model,
      settings: settings.sampling,
      // What the chat put in front of its first message (JSON-quoted: one YAML line whatever it holds).
      instructions: c.instructions,
      generator: `${ctx.app.name} ${ctx.app.version}`,
    };
    // One front matter at the top of the file; later conversations get the same facts as a block.
    await out.write(
      first
        ? `${frontMatter(head)}# ${escapeRawHtml(head.title)}\n\n`
        : `\n\n---\n\n# ${escapeRawHtml(head.title)}\n\n\`\`\`yaml\n${frontMatter(head).slice(4, -6)}\n\`\`\`\n\n`,
    );
    first = false;
    for (const page of messagePages(ctx.reader.transcripts, c, 'active')) {
      for (const m of page) {
        const status = m.status === 'complete' ? '' : ` (${m.status})`;
        let text = `## ${ROLE[m.role]}${status}\n\n<!-- ${iso(m.createdAt)}${m.model ? ` · ${m.model.fileName.replace(/--/g, '- -')}` : ''} -->\n\n`;
        for (const p of m.parts)
          text +=
            p.kind === 'text'
              ? `${escapeRawHtml(p.text)}\n\n`
              : `${await image(p.imageHash, `image ${p.width}×${p.height}`)}\n\n`;
        await out.write(text);
      }
      ctx.progress.messages(page.length);
    }
    ctx.progress.conversationDone(c);
  }
}

export async function writeMarkdownTranscript(ctx: ExportContext, _images: 'dataUri'): Promise<void> {
  await writeMarkdown(ctx, ctx.sink, async (sha256, alt) => {
    const { bytes, mime } = ctx.images.read(sha256);
    return `![${alt}](data:${mime};base64,${Buffer.from(bytes).toString('base64')})`;
  });
}

export async function writeMarkdownZip(ctx: ExportContext): Promise<void> {
  const zip = new ZipWriter(ctx.sink, ctx.now);
  const entry: ByteSink = {
    write: (chunk) => zip.write(chunk),
    get bytes() {
      return ctx.sink.bytes;
    },
  };
  const names = new Map<string, string>();
  await zip.begin('transcript.md');
  await writeMarkdown(ctx, entry, async (sha256, alt) => {
    let name = names.get(sha256);
    if (!name) {
      name = `images/${sha256}.${imageExtension(ctx.images.read(sha256).mime)}`;
      names.set(sha256, name);
    }
    return `![${alt}](${name})`;
  });
  await zip.end();
  for (const [sha256, name] of names) {
    await zip.begin(name);
    await zip.write(ctx.images.read(sha256).bytes);
  }
  await zip.finish();
}
