// Runs one export: counts what is in scope (refusing a missing conversation before writing), then
// streams the chosen format into `<dest>.partial` with progress after each page of messages, and
// renames it into place when complete. Cancelling (the signal) deletes the partial file.
import type { ExportFormat, ExportProgress, ExportRequest } from '../contract/transcript.ts';
import { ProgressTracker, type ExportContext } from './exportContext.ts';
import { FileSink } from './fileSink.ts';
import { writeHtmlTranscript } from './htmlTranscript.ts';
import { writeJsonTranscript } from './jsonTranscript.ts';
import { writeMarkdownTranscript, writeMarkdownZip } from './markdownTranscript.ts';
import { renderPdf, type PdfRenderer } from './pdfTranscript.ts';
import { countInScope, type ExportReader, type ImageSource } from './source.ts';

export interface ExportRun {
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportResult {
  path: string;
  bytes: number;
  progress: ExportProgress;
}

export interface TranscriptExporterOptions {
  reader: ExportReader;
  images: ImageSource;
  app: { name: string; version: string };
  /** Turns an HTML file into a PDF: headless Chromium in serve mode and tests, printToPDF in Electron. */
  pdf?: PdfRenderer;
  now?: () => number;
}

const WRITERS: Record<Exclude<ExportFormat, 'pdf'>, (ctx: ExportContext) => Promise<void>> = {
  json: writeJsonTranscript,
  markdown: (ctx) => writeMarkdownTranscript(ctx, 'dataUri'),
  markdownZip: writeMarkdownZip,
  html: writeHtmlTranscript,
};

export class TranscriptExporter {
  readonly #options: TranscriptExporterOptions;

  constructor(options: TranscriptExporterOptions) {
    this.#options = options;
  }

  async export(request: ExportRequest, dest: string, run: ExportRun = {}): Promise<ExportResult> {
    const { reader, images, app, pdf } = this.#options;
    const progress = new ProgressTracker(
      countInScope(reader, request.scope),
      run.onProgress ?? (() => undefined),
      run.signal,
    );
    // Only JSON keeps every branch; the readable formats show what the user saw.
    const branches = request.format === 'json' ? request.branches : 'active';
    const format = request.format === 'pdf' ? 'html' : request.format;
    const htmlDest = request.format === 'pdf' ? `${dest}.html` : dest;
    const sink = new FileSink(htmlDest, run.signal);
    try {
      const ctx: ExportContext = {
        sink,
        reader,
        images,
        scope: request.scope,
        branches,
        app,
        now: (this.#options.now ?? Date.now)(),
        progress,
      };
      await WRITERS[format](ctx);
      progress.check();
      await sink.commit();
    } catch (err) {
      await sink.discard();
      throw err;
    }
    if (request.format === 'pdf') {
      run.onProgress?.({ ...progress.state, printing: true });
      const bytes = await renderPdf(pdf, htmlDest, dest, run.signal);
      return { path: dest, bytes, progress: { ...progress.state } };
    }
    return { path: dest, bytes: sink.bytes, progress: { ...progress.state } };
  }
}
