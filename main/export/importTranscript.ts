// Import: our lossless JSON (main/contract/transcript.ts) or ChatGPT's conversations.json. The
// input is untrusted: size-bounded, schema-validated, every image checked against its hash, and
// written in one transaction, so a bad file leaves nothing behind.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ConversationSummary } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import type { TranscriptConversation } from '../contract/transcript.ts';
import {
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_IMPORT_MAX_BYTES,
  TRANSCRIPT_VERSION,
  TranscriptFileSchema,
} from '../contract/transcript.ts';
import { readRegularFile } from '../platform/regularFile.ts';
import type { ImportConversation, TranscriptStore } from '../store/TranscriptStore.ts';
import { chatGptToTranscript, folderAssets, isChatGptExport, type ChatGptAssets } from './chatgptImport.ts';

/** Where imported image bytes go; ChatStore's image store is the app's implementation. */
export interface ImageSink {
  put(bytes: Uint8Array, meta: { mime: string; width: number; height: number }): { sha256: string };
}

export interface ImportOptions {
  maxBytes?: number;
  /** Image files of a ChatGPT export (importFile: the files beside conversations.json). */
  assets?: ChatGptAssets;
}

export type ImportedFormat = 'transcript' | 'chatgpt';

export interface ImportResult {
  format: ImportedFormat;
  conversations: ConversationSummary[];
}

export async function importFile(
  path: string,
  store: TranscriptStore,
  images: ImageSink,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const max = options.maxBytes ?? TRANSCRIPT_IMPORT_MAX_BYTES;
  // A regular file only (a FIFO or a device would block a thread or never end), bounded in size.
  const bytes = await readRegularFile(path, max, { notFound: 'import.invalid', tooLarge: 'import.tooLarge', what: 'The file' });
  return importText(bytes.toString('utf8'), store, images, {
    assets: folderAssets(dirname(path)),
    ...options,
  });
}

export function importText(
  text: string,
  store: TranscriptStore,
  images: ImageSink,
  options: ImportOptions = {},
): ImportResult {
  const max = options.maxBytes ?? TRANSCRIPT_IMPORT_MAX_BYTES;
  if (Buffer.byteLength(text, 'utf8') > max)
    throw new AppError('import.tooLarge', `The input is larger than ${max} bytes.`, { max });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error: never echo a file's contents back.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new AppError('import.invalid', `The file is not valid JSON${at === undefined ? '' : ` (at character ${at})`}: it is not a transcript we can read.`);
  }
  return importValue(value, store, images, options.assets);
}

/** Import already-parsed JSON (the HTTP route's body parser bounded its size). */
export function importValue(
  value: unknown,
  store: TranscriptStore,
  images: ImageSink,
  assets?: ChatGptAssets,
): ImportResult {
  if (isChatGptExport(value))
    return {
      format: 'chatgpt',
      conversations: importConversations(chatGptToTranscript(value, assets), store, images),
    };
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === TRANSCRIPT_FORMAT
  ) {
    const version = (value as { version?: unknown }).version;
    if (typeof version === 'number' && version > TRANSCRIPT_VERSION) {
      throw new AppError(
        'import.unsupportedVersion',
        `This transcript is version ${version}; this app reads up to version ${TRANSCRIPT_VERSION}. Update the app to import it.`,
        { version },
      );
    }
    const parsed = TranscriptFileSchema.safeParse(value);
    if (!parsed.success)
      throw new AppError(
        'import.invalid',
        `The transcript does not match its schema: ${z.prettifyError(parsed.error).slice(0, 2000)}`,
      );
    return {
      format: 'transcript',
      conversations: importConversations(parsed.data.conversations, store, images),
    };
  }
  throw new AppError(
    'import.unknownFormat',
    'This is neither a Chameleon Desktop transcript nor a ChatGPT conversations.json.',
  );
}

function importConversations(
  conversations: readonly TranscriptConversation[],
  store: TranscriptStore,
  images: ImageSink,
): ConversationSummary[] {
  const inputs = conversations.map((c, index) => toImport(c, index, images));
  return store.importConversations(inputs);
}

function toImport(c: TranscriptConversation, index: number, images: ImageSink): ImportConversation {
  const embedded = new Map(c.images.map((i) => [i.sha256, i]));
  for (const m of c.messages) {
    for (const p of m.parts) {
      if (p.kind !== 'text' && !embedded.has(p.imageHash)) {
        throw new AppError('import.invalid', `Message ${m.id} names an image that is not in the file.`, {
          conversation: index,
          message: m.id,
          imageHash: p.imageHash,
        });
      }
    }
  }
  return {
    title: c.title,
    titleIsCustom: c.titleIsCustom,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    ...(c.activeLeafId !== undefined ? { activeLeafKey: c.activeLeafId } : {}),
    ...(c.sampling !== undefined ? { sampling: c.sampling } : {}),
    ...(c.instructions !== undefined ? { instructions: c.instructions } : {}),
    ...(c.pinned ? { pinned: true } : {}),
    ...(c.archived ? { archived: true } : {}),
    prepare: () => {
      for (const image of c.images) {
        const bytes = Buffer.from(image.base64, 'base64');
        const actual = createHash('sha256').update(bytes).digest('hex');
        if (actual !== image.sha256)
          throw new AppError('import.invalid', 'An embedded image does not match its hash.', {
            conversation: index,
            imageHash: image.sha256,
          });
        images.put(bytes, { mime: image.mime, width: image.width, height: image.height });
      }
    },
    messages: c.messages.map((m) => ({
      key: m.id,
      parentKey: m.parentId,
      role: m.role,
      status: m.status === 'streaming' ? 'interrupted' : m.status,
      parts: m.parts,
      createdAt: m.createdAt,
      ...(m.sampling !== undefined ? { sampling: m.sampling } : {}),
      ...(m.seed !== undefined ? { seed: m.seed } : {}),
      ...(m.model !== undefined ? { model: m.model } : {}),
      ...(m.engine !== undefined ? { engine: m.engine } : {}),
      ...(m.tokens !== undefined ? { tokens: m.tokens } : {}),
      ...(m.timings !== undefined ? { timings: m.timings } : {}),
      ...(m.error !== undefined ? { error: m.error } : {}),
    })),
  };
}
