// The lossless JSON transcript (schema: main/contract/transcript.ts), written as a stream: the
// envelope, then each conversation's messages page by page, then the images its parts name.
import { TRANSCRIPT_FORMAT, TRANSCRIPT_VERSION } from '../contract/transcript.ts';
import type { ExportContext } from './exportContext.ts';
import { LocalIds, conversationsInScope, messagePages } from './source.ts';

export async function writeJsonTranscript(ctx: ExportContext): Promise<void> {
  const { sink } = ctx;
  await sink.write(
    `{"format":${JSON.stringify(TRANSCRIPT_FORMAT)},"version":${TRANSCRIPT_VERSION},"exportedAt":${ctx.now},"app":${JSON.stringify(ctx.app)},"conversations":[`,
  );
  let firstConversation = true;
  for (const c of conversationsInScope(ctx.reader, ctx.scope)) {
    const ids = new LocalIds();
    const head = {
      title: c.title,
      titleIsCustom: c.titleIsCustom,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      ...(c.sampling ? { sampling: c.sampling } : {}),
      ...(c.instructions ? { instructions: c.instructions } : {}),
      ...(c.pinned ? { pinned: true } : {}),
      ...(c.archived ? { archived: true } : {}),
    };
    await sink.write(
      `${firstConversation ? '' : ','}\n${JSON.stringify(head).slice(0, -1)},"branches":${JSON.stringify(ctx.branches)},"messages":[`,
    );
    firstConversation = false;
    const sizes = new Map<string, { width: number; height: number }>();
    let first = true;
    for (const page of messagePages(ctx.reader.transcripts, c, ctx.branches)) {
      let chunk = '';
      for (const m of page) {
        chunk += `${first ? '' : ','}\n${JSON.stringify(ids.local(m))}`;
        first = false;
        for (const p of m.parts)
          if (p.kind !== 'text') sizes.set(p.imageHash, { width: p.width, height: p.height });
      }
      await sink.write(chunk);
      ctx.progress.messages(page.length);
    }
    await sink.write(`],"images":[`);
    let firstImage = true;
    for (const [sha256, size] of [...sizes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const { bytes, mime } = ctx.images.read(sha256);
      await sink.write(
        `${firstImage ? '' : ','}\n{"sha256":"${sha256}","mime":${JSON.stringify(mime)},"width":${size.width},"height":${size.height},"base64":"`,
      );
      await sink.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
      await sink.write('"}');
      firstImage = false;
    }
    const leaf = c.activeLeafId === undefined ? undefined : ids.get(c.activeLeafId);
    await sink.write(`]${leaf === undefined ? '' : `,"activeLeafId":${leaf}`}}`);
    ctx.progress.conversationDone(c);
  }
  await sink.write('\n]}\n');
}
