// Export and import runs, owned in one place (issue 9: components call state methods, not the
// client). Electron: main's dialogs hand out one-time file handles, the export streams progress;
// browser mode: the local server's download and upload routes. One run at a time.
import type { ExportPacket } from '../../../main/contract/api.ts';
import type { ApiClient, ApiStream } from '../../../main/contract/apiClient.ts';
import { toErrorData, type ErrorData } from '../../../main/contract/errors.ts';
import type { ExportRequest } from '../../../main/contract/transcript.ts';
import { downloadExport, uploadImport } from '../lib/transcriptTransfer.ts';

export interface ImportOutcome {
  format: 'transcript' | 'chatgpt';
  conversations: Array<{ id: number }>;
}

export interface TransfersHooks {
  /** After an import: refresh the chat list, open the first new chat, say what came in. */
  imported(outcome: ImportOutcome, summary: string): Promise<void>;
}

export class TransfersStore {
  #running = $state(false);
  #progressText = $state('');
  #progressFraction = $state<number | undefined>(undefined);
  #result = $state('');
  #error = $state.raw<ErrorData | undefined>(undefined);
  #abort: AbortController | undefined;
  #stream: ApiStream<ExportPacket> | undefined;

  readonly #client: ApiClient;
  readonly #electron: boolean;
  readonly #hooks: TransfersHooks;

  constructor(client: ApiClient, electron: boolean, hooks: TransfersHooks) {
    this.#client = client;
    this.#electron = electron;
    this.#hooks = hooks;
  }

  get running(): boolean {
    return this.#running;
  }
  get progressText(): string {
    return this.#progressText;
  }
  get progressFraction(): number | undefined {
    return this.#progressFraction;
  }
  get result(): string {
    return this.#result;
  }
  get error(): ErrorData | undefined {
    return this.#error;
  }

  /** A fresh dialog starts without the last run's outcome. */
  reset(): void {
    if (this.#running) return;
    this.#result = '';
    this.#error = undefined;
  }

  async exportChats(request: ExportRequest, fileName: string, pdf: boolean): Promise<void> {
    if (this.#running) return;
    this.#begin('Starting…');
    try {
      if (this.#electron) {
        const { file } = await this.#client.call('transcripts.pickExportPath', { defaultName: fileName });
        if (!file) return;
        this.#stream = this.#client.stream('transcripts.export', { ...request, handle: file.handle });
        for await (const p of this.#stream) {
          if (p.type === 'progress') this.#describe(p.conversationsDone, p.conversationsTotal, p.messagesDone, p.printing);
          else if (p.type === 'success') this.#result = `Saved ${(p.bytes / 1024).toFixed(1)} KB to ${p.path}`;
          else this.#error = p.error;
        }
      } else {
        this.#abort = new AbortController();
        const saved = await downloadExport(
          window,
          request,
          this.#abort.signal,
          (p) => {
            if (p.phase === 'preparing') this.#progressText = pdf ? 'Writing and laying out the PDF…' : 'Writing the export…';
            else {
              this.#progressFraction = p.total ? p.received / p.total : undefined;
              this.#progressText = `Downloading… ${(p.received / 1024).toFixed(0)} KB`;
            }
          },
          fileName,
        );
        this.#result = `Downloaded ${saved.fileName} (${(saved.bytes / 1024).toFixed(1)} KB)`;
      }
    } catch (err) {
      this.#error = this.#abort?.signal.aborted ? { code: 'export.cancelled', message: 'Cancelled.' } : toErrorData(err);
    } finally {
      this.#end();
    }
  }

  cancel(): void {
    this.#stream?.cancel();
    this.#abort?.abort();
  }

  /** Electron: main's open dialog, then the import of the picked file by its handle. */
  importPicked(): Promise<void> {
    return this.#import(async () => {
      const { file } = await this.#client.call('transcripts.pickImportFile', {});
      return file ? this.#client.call('transcripts.import', { handle: file.handle }) : undefined;
    });
  }

  /** Browser mode: the chosen file's bytes go up to the local server. */
  importUpload(file: File): Promise<void> {
    return this.#import(() => uploadImport(window, file));
  }

  async #import(work: () => Promise<ImportOutcome | undefined>): Promise<void> {
    if (this.#running) return;
    this.#begin('Importing…');
    try {
      const r = await work();
      if (!r) return;
      const n = r.conversations.length;
      this.#result = `Imported ${n} chat${n === 1 ? '' : 's'} from ${r.format === 'chatgpt' ? 'ChatGPT' : 'a Chameleon transcript'}.`;
      await this.#hooks.imported(r, this.#result);
    } catch (err) {
      this.#error = toErrorData(err);
    } finally {
      this.#end();
    }
  }

  #begin(text: string): void {
    this.#running = true;
    this.#error = undefined;
    this.#result = '';
    this.#progressText = text;
    this.#progressFraction = undefined;
  }

  #end(): void {
    this.#running = false;
    this.#stream = undefined;
    this.#abort = undefined;
  }

  #describe(done: number, total: number, messages: number, printing?: boolean): void {
    this.#progressFraction = printing ? undefined : total > 0 ? done / total : undefined;
    this.#progressText = printing ? `Laying out the PDF pages… (${messages.toLocaleString()} messages)` : `${done} of ${total} chats · ${messages.toLocaleString()} messages`;
  }
}
