// Transcript export and import over HTTP (browser mode's download/upload, and scripts), behind the
// same API key as everything else:
//   POST /api/transcripts/export  body: ExportRequest (transcript.ts) → the file, as an attachment
//   POST /api/transcripts/import  body: our transcript JSON or ChatGPT's conversations.json
//                                 → { format, conversations } (bounded by the server's body limit)
// The export is written to a temporary file first (streamed from the store page by page), then
// streamed back; a client that goes away cancels it and the file is removed.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { AppError } from '../../contract/errors.ts';
import { EXPORT_EXTENSION, EXPORT_MIME, ExportRequestSchema } from '../../contract/transcript.ts';
import type { TranscriptService } from '../../services/transcriptService.ts';
import { sendJson } from '../httpErrors.ts';
import type { RequestContext, Route } from '../httpServer.ts';

export interface TranscriptRoutesOptions {
  transcripts: TranscriptService;
  now?: () => number;
}

export function transcriptRoutes(options: TranscriptRoutesOptions): Route[] {
  return [
    { method: 'POST', path: '/api/transcripts/export', handle: (ctx) => exportTranscript(ctx, options) },
    { method: 'POST', path: '/api/transcripts/import', handle: (ctx) => importTranscript(ctx, options) },
  ];
}

async function exportTranscript(ctx: RequestContext, options: TranscriptRoutesOptions): Promise<void> {
  const parsed = ExportRequestSchema.safeParse(await ctx.readJson());
  if (!parsed.success) throw new AppError('api.badRequest', z.prettifyError(parsed.error));
  const request = parsed.data;
  const file = await options.transcripts.exportToTemp(request, ctx.signal);
  try {
    const day = new Date((options.now ?? Date.now)()).toISOString().slice(0, 10);
    ctx.res.writeHead(200, {
      'Content-Type': EXPORT_MIME[request.format],
      'Content-Length': String(file.bytes),
      'Content-Disposition': `attachment; filename="chameleon-transcript-${day}.${EXPORT_EXTENSION[request.format]}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    await pipeline(createReadStream(file.path), ctx.res, { signal: ctx.signal });
  } finally {
    await file.remove();
  }
}

async function importTranscript(ctx: RequestContext, options: TranscriptRoutesOptions): Promise<void> {
  let value: unknown;
  try {
    value = await ctx.readJson();
  } catch (err) {
    // A body that is not JSON is a file that is not a transcript (issue 15, defect 10).
    if (err instanceof AppError && err.code === 'api.badRequest') throw new AppError('import.invalid', 'The file is not JSON, so it is not a transcript we can read.');
    throw err;
  }
  const result = options.transcripts.importValue(value);
  sendJson(ctx.res, 200, { format: result.format, conversations: result.conversations });
}
