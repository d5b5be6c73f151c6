// Export and import of transcripts for the app (commands/streams) and the local server's routes:
// one TranscriptExporter over the store, a PDF renderer chosen by the shell (Electron's
// printToPDF) or headless Chromium (browser mode), and imports announced as chats.changed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportProgress, ExportRequest } from '../contract/transcript.ts';
import { EXPORT_EXTENSION } from '../contract/transcript.ts';
import { importFile, importText, importValue, type ImportResult } from '../export/importTranscript.ts';
import { chromiumPdfRenderer, type PdfRenderer } from '../export/pdfTranscript.ts';
import { exportReaderOf, imageSinkOf, imageSourceOf } from '../export/storeAdapters.ts';
import { TranscriptExporter, type ExportResult } from '../export/TranscriptExporter.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { EventHub } from './eventHub.ts';

export interface TranscriptServiceOptions {
  store: ChatStore;
  events: EventHub;
  app: { name: string; version: string };
  /** Defaults to headless Chromium (found at the usual paths or CHAMELEON_CHROMIUM). */
  pdf?: PdfRenderer;
}

export interface TempExport extends ExportResult {
  /** Removes the temporary folder holding the file. */
  remove(): Promise<void>;
}

export class TranscriptService {
  readonly #store: ChatStore;
  readonly #events: EventHub;
  readonly #exporter: TranscriptExporter;

  constructor(options: TranscriptServiceOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#exporter = new TranscriptExporter({
      reader: exportReaderOf(options.store),
      images: imageSourceOf(options.store),
      app: options.app,
      pdf: options.pdf ?? chromiumPdfRenderer(),
    });
  }

  export(
    request: ExportRequest,
    dest: string,
    run: { signal?: AbortSignal; onProgress?: (p: ExportProgress) => void } = {},
  ): Promise<ExportResult> {
    return this.#exporter.export(request, dest, run);
  }

  /** Export into a fresh temporary folder (the HTTP route streams it back, then removes it). */
  async exportToTemp(request: ExportRequest, signal?: AbortSignal): Promise<TempExport> {
    const dir = await mkdtemp(join(tmpdir(), 'chameleon-export-'));
    const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
    try {
      const result = await this.#exporter.export(
        request,
        join(dir, `transcript.${EXPORT_EXTENSION[request.format]}`),
        signal ? { signal } : {},
      );
      return { ...result, remove };
    } catch (err) {
      await remove();
      throw err;
    }
  }

  async importFile(path: string): Promise<ImportResult> {
    return this.#announce(await importFile(path, this.#store.transcripts(), imageSinkOf(this.#store)));
  }

  importText(text: string): ImportResult {
    return this.#announce(importText(text, this.#store.transcripts(), imageSinkOf(this.#store)));
  }

  importValue(value: unknown): ImportResult {
    return this.#announce(importValue(value, this.#store.transcripts(), imageSinkOf(this.#store)));
  }

  #announce(result: ImportResult): ImportResult {
    for (const c of result.conversations)
      this.#events.emit('chats.changed', { reason: 'created', conversationId: c.id });
    return result;
  }
}
