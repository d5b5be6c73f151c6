// Test set-up shared by the export tests: an exporter over a store, temp folders that clean up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TranscriptExporter } from '../../../main/export/TranscriptExporter.ts';
import type { PdfRenderer } from '../../../main/export/pdfTranscript.ts';
import { exportReaderOf, imageSourceOf } from '../../../main/export/storeAdapters.ts';
import type { ChatStore } from '../../../main/store/ChatStore.ts';

export const EXPORTED_AT = 1_800_000_000_000;

export function exporterFor(store: ChatStore, pdf?: PdfRenderer): TranscriptExporter {
  return new TranscriptExporter({
    reader: exportReaderOf(store),
    images: imageSourceOf(store),
    app: { name: 'Chameleon Desktop', version: 'test' },
    now: () => EXPORTED_AT,
    ...(pdf ? { pdf } : {}),
  });
}

export function tempFolder(): { path: string; file: (name: string) => string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'chameleon-export-'));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
