// The transcripts part of the app's Handlers (api.ts): export as a stream (progress, cancel,
// success with the written file), import from a picked file or pasted text, and the native dialogs,
// which hand out one-time file handles (main never takes a path from the page).
import type { Handlers } from '../contract/api.ts';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { FileAccess } from './fileAccess.ts';
import type { TranscriptService } from './transcriptService.ts';

export interface TranscriptHandlerDeps {
  transcripts: TranscriptService;
  files: FileAccess;
  /** Native save dialog (Electron); absent in browser mode, where the UI downloads over HTTP. */
  pickExportPath?: (defaultName: string) => Promise<string | null>;
  /** Native open dialog (Electron). */
  pickImportFile?: () => Promise<string | null>;
}

type TranscriptCommands = Pick<
  Handlers['commands'],
  'transcripts.import' | 'transcripts.pickExportPath' | 'transcripts.pickImportFile'
>;
type TranscriptStreams = Pick<Handlers['streams'], 'transcripts.export'>;

const noDialog = (): AppError =>
  new AppError(
    'api.notFound',
    'There is no file dialog in the browser: use the download and upload of the browser mode.',
  );

export function transcriptCommands(deps: TranscriptHandlerDeps): TranscriptCommands {
  return {
    'transcripts.import': async (input) => {
      const result =
        'handle' in input
          ? await deps.transcripts.importFile(deps.files.take('import', input.handle))
          : deps.transcripts.importText(input.text);
      return { format: result.format, conversations: result.conversations };
    },
    'transcripts.pickExportPath': async ({ defaultName }) => {
      if (!deps.pickExportPath) throw noDialog();
      const path = await deps.pickExportPath(defaultName);
      return { file: path ? { handle: deps.files.handleFor('export', path), path } : null };
    },
    'transcripts.pickImportFile': async () => {
      if (!deps.pickImportFile) throw noDialog();
      const path = await deps.pickImportFile();
      return { file: path ? { handle: deps.files.handleFor('import', path), path } : null };
    },
  };
}

export function transcriptStreams(deps: TranscriptHandlerDeps): TranscriptStreams {
  return {
    'transcripts.export': async ({ handle, ...request }, sink) => {
      try {
        const result = await deps.transcripts.export(request, deps.files.take('export', handle), {
          signal: sink.signal,
          onProgress: (p) => sink.send({ type: 'progress', ...p }),
        });
        sink.send({ type: 'success', path: result.path, bytes: result.bytes, progress: result.progress });
      } catch (err) {
        sink.send({ type: 'error', error: toErrorData(err, 'export.writeFailed') });
      }
    },
  };
}
