// The desktop app's PDF export: Electron's own printToPDF on a hidden page showing the exported
// HTML (the same file the HTML export writes; its CSP already forbids scripts and requests, and
// the page is opened with JavaScript off). Serve mode and tests print with headless Chromium
// instead (main/export/pdfTranscript.ts).
import { writeFile } from 'node:fs/promises';
import type { WebContents } from 'electron';
import { AppError } from '../contract/errors.ts';
import type { PdfRenderer } from '../export/pdfTranscript.ts';

export interface HiddenPage {
  contents: WebContents;
  close(): void;
}

/** Print the HTML file at `htmlPath` into `pdfPath` with `contents` (a hidden window's). */
export async function printTranscriptPdf(contents: WebContents, htmlPath: string, pdfPath: string): Promise<void> {
  await contents.loadFile(htmlPath);
  const pdf = await contents.printToPDF({
    pageSize: 'A4',
    printBackground: true,
    margins: { top: 0.6, bottom: 0.6, left: 0.55, right: 0.55 },
    displayHeaderFooter: true,
    headerTemplate: '<span></span>',
    footerTemplate: '<div style="font-size:8px;width:100%;text-align:center;color:#666"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
  });
  await writeFile(pdfPath, pdf);
}

/** A PdfRenderer that opens a fresh hidden page per export and closes it after (or on cancel). */
export function electronPdfRenderer(openHiddenPage: () => HiddenPage): PdfRenderer {
  return async (htmlPath, pdfPath, signal) => {
    const page = openHiddenPage();
    const abort = (): void => page.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await printTranscriptPdf(page.contents, htmlPath, pdfPath);
    } catch (err) {
      if (signal?.aborted) throw new AppError('export.cancelled', 'The export was cancelled.');
      throw new AppError('export.writeFailed', `Printing the PDF failed: ${(err as Error).message}`, undefined, { cause: err });
    } finally {
      signal?.removeEventListener('abort', abort);
      page.close();
    }
  };
}
