// PDF from the exported HTML. The app prints with Electron's printToPDF (main/app/printTranscriptPdf.ts);
// serve mode and the tests print with headless Chromium through playwright-core. Either way the
// page is our own HTML file, whose CSP already forbids scripts and requests; Chromium is also
// started with JavaScript off.
import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { AppError } from '../contract/errors.ts';

/** Prints the HTML file at `htmlPath` to a PDF file at `pdfPath`. */
export type PdfRenderer = (htmlPath: string, pdfPath: string, signal?: AbortSignal) => Promise<void>;

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.CHAMELEON_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** A PdfRenderer on a headless Chromium binary (A4, backgrounds on, page numbers in the footer). */
export function chromiumPdfRenderer(executablePath: string | undefined = findChromium()): PdfRenderer {
  return async (htmlPath, pdfPath, signal) => {
    if (!executablePath)
      throw new AppError(
        'export.pdfUnavailable',
        'PDF export needs Chromium (set CHAMELEON_CHROMIUM or install chromium).',
      );
    // Loaded on demand: playwright-core is only needed where PDFs are printed outside Electron.
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    const abort = (): void => void browser.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const context = await browser.newContext({
        javaScriptEnabled: false,
        offline: true,
        colorScheme: 'light',
      });
      const page = await context.newPage();
      await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load', timeout: 0 });
      await page.pdf({
        path: pdfPath,
        format: 'A4',
        printBackground: true,
        margin: { top: '16mm', bottom: '16mm', left: '14mm', right: '14mm' },
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate:
          '<div style="font-size:8px;width:100%;text-align:center;color:#666"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      });
    } catch (err) {
      if (signal?.aborted) throw new AppError('export.cancelled', 'The export was cancelled.');
      throw err instanceof AppError
        ? err
        : new AppError(
            'export.writeFailed',
            `Printing the PDF failed: ${(err as Error).message}`,
            undefined,
            { cause: err },
          );
    } finally {
      signal?.removeEventListener('abort', abort);
      await browser.close();
    }
  };
}

/** Print `htmlPath` into `dest` (through dest.partial), remove the HTML, return the PDF's size. */
export async function renderPdf(
  renderer: PdfRenderer | undefined,
  htmlPath: string,
  dest: string,
  signal?: AbortSignal,
): Promise<number> {
  const partial = `${dest}.partial`;
  try {
    if (!renderer) throw new AppError('export.pdfUnavailable', 'PDF export is not available here.');
    await renderer(htmlPath, partial, signal);
    if (signal?.aborted) throw new AppError('export.cancelled', 'The export was cancelled.');
    await rename(partial, dest);
    return (await stat(dest)).size;
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(htmlPath, { force: true });
  }
}
