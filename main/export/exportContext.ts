// What every format writer gets: where to write, what to read, and a progress callback it calls
// after each page of messages (which also checks for cancellation between pages).
import type { ConversationSummary } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import type { ExportProgress, ExportScope } from '../contract/transcript.ts';
import type { ByteSink } from './fileSink.ts';
import type { ExportReader, ImageSource } from './source.ts';

export interface ExportContext {
  sink: ByteSink;
  reader: ExportReader;
  images: ImageSource;
  scope: ExportScope;
  branches: 'all' | 'active';
  app: { name: string; version: string };
  now: number;
  progress: ProgressTracker;
}

export class ProgressTracker {
  readonly #report: (p: ExportProgress) => void;
  readonly #signal: AbortSignal | undefined;
  readonly state: ExportProgress;

  constructor(total: number, report: (p: ExportProgress) => void, signal?: AbortSignal) {
    this.state = { conversationsDone: 0, conversationsTotal: total, messagesDone: 0 };
    this.#report = report;
    this.#signal = signal;
  }

  check(): void {
    if (this.#signal?.aborted) throw new AppError('export.cancelled', 'The export was cancelled.');
  }

  messages(n: number): void {
    this.check();
    this.state.messagesDone += n;
    this.#report({ ...this.state });
  }

  conversationDone(_c: ConversationSummary): void {
    this.state.conversationsDone += 1;
    this.#report({ ...this.state });
  }
}
