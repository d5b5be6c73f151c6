// The lossless transcript: Chameleon Desktop's documented, versioned JSON export (and import) format.
// Environment-free (zod + ./ files), so the UI can read it too. Everything needed to rebuild a
// conversation exactly is here: every message of every branch, the tree (parentId), part order,
// images (embedded, base64), sampling settings, seeds, model identity, token counts and timings.
//
// Version 3, as written (`npm` consumers: `TranscriptFileSchema` is the normative definition):
//   {
//     "format": "chameleon-desktop/transcript", "version": 3,
//     "exportedAt": <ms since epoch>, "app": { "name", "version" },
//     "conversations": [ {
//       "title", "titleIsCustom", "createdAt", "updatedAt", "activeLeafId"?: <message id>,
//       "sampling"?: { temperature?, topP?, … }  // the chat's own sampling settings (version 2)
//       "instructions"?: "…",                  // put in front of the first user turn (version 3)
//       "pinned"?: true, "archived"?: true,     // where the sidebar keeps it (version 3)
//       "branches": "all" | "active",          // "active": only the branch that was shown
//       "messages": [ {                         // parents before children (creation order)
//         "id": 1.., "parentId": null | <id>,   // ids are local to the conversation, 1-based
//         "role", "status", "createdAt", "parts": [ {"kind":"text","text"} | {"kind":"image"|"generatedImage",
//         "imageHash","mime","width","height"} ], "sampling"?, "seed"?, "model"?: {fileName,sizeBytes,sha256?},
//         "engine"?: {kind: "local"|"llamaCppServer"|"vllm", name, model},   // version 3: who answered
//         "tokens"?: {prompt,completion}, "timings"?: {promptMs,firstTokenMs,totalMs,tokensPerSecond}, "error"?
//       } ],
//       "images": [ { "sha256", "mime", "width", "height", "base64" } ]  // every image the parts name, once
//     } ]
//   }
// Compatibility: a reader refuses a newer `version` (import.unsupportedVersion); fields are only
// ever added in a new version. Message ids and the conversation's database id are not kept across
// an import (they are renumbered), everything else is.
import { z } from 'zod';
import { SamplingOverridesSchema } from './engine.ts';
import { INSTRUCTIONS_MAX_CHARS, MessagePartSchema, MessageSchema, TITLE_MAX_CHARS, TimestampSchema } from './chat.ts';

export const TRANSCRIPT_FORMAT = 'chameleon-desktop/transcript';
/** Version 2 added the chat's own sampling settings, 3 its instructions, pinned and archived, 4 each answer's engine; older files are read as they are. */
export const TRANSCRIPT_VERSION = 4;
/** Import refuses larger files (import.tooLarge): JSON is parsed whole. */
export const TRANSCRIPT_IMPORT_MAX_BYTES = 512 * 1024 * 1024;
/** The largest transcript the transcripts.import command takes inline as text (bigger: a path or the HTTP route). */
export const TRANSCRIPT_TEXT_MAX_CHARS = 32 * 1024 * 1024;
export const TRANSCRIPT_MAX_MESSAGES = 1_000_000;
/** One embedded image, base64 (about 48 MiB of bytes). */
export const TRANSCRIPT_IMAGE_MAX_BASE64_CHARS = 64 * 1024 * 1024;

const LocalIdSchema = z.number().int().positive();
const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

/** A stored message as a transcript carries it: conversation-local ids, no sibling position. */
export const TranscriptMessageSchema = MessageSchema.pick({ role: true, status: true, createdAt: true, sampling: true, seed: true, model: true, engine: true, tokens: true, timings: true, error: true })
  .extend({
    id: LocalIdSchema,
    parentId: LocalIdSchema.nullable(),
    parts: z.array(MessagePartSchema).max(256),
  })
  .strict();
export type TranscriptMessage = z.infer<typeof TranscriptMessageSchema>;

export const TranscriptImageSchema = z
  .object({
    sha256: Sha256Schema,
    mime: z.string().regex(/^image\/[a-z0-9.+-]{1,50}$/),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    base64: z
      .string()
      .max(TRANSCRIPT_IMAGE_MAX_BASE64_CHARS)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/),
  })
  .strict();
export type TranscriptImage = z.infer<typeof TranscriptImageSchema>;

export const TranscriptConversationSchema = z
  .object({
    title: z.string().max(TITLE_MAX_CHARS),
    titleIsCustom: z.boolean(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    activeLeafId: LocalIdSchema.optional(),
    sampling: SamplingOverridesSchema.optional(),
    instructions: z.string().max(INSTRUCTIONS_MAX_CHARS).optional(),
    pinned: z.literal(true).optional(),
    archived: z.literal(true).optional(),
    branches: z.enum(['all', 'active']),
    messages: z.array(TranscriptMessageSchema).max(TRANSCRIPT_MAX_MESSAGES),
    images: z.array(TranscriptImageSchema),
  })
  .strict();
export type TranscriptConversation = z.infer<typeof TranscriptConversationSchema>;

export const TranscriptFileSchema = z
  .object({
    format: z.literal(TRANSCRIPT_FORMAT),
    version: z.number().int().min(1).max(TRANSCRIPT_VERSION),
    exportedAt: TimestampSchema,
    app: z.object({ name: z.string().max(200), version: z.string().max(100) }).strict(),
    conversations: z.array(TranscriptConversationSchema).max(100_000),
  })
  .strict();
export type TranscriptFile = z.infer<typeof TranscriptFileSchema>;

// ── what the UI and the API ask for ──────────────────────────────────────────────────────────

export const EXPORT_FORMATS = ['json', 'markdown', 'markdownZip', 'html', 'pdf'] as const;
export const ExportFormatSchema = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

/** Which conversations: one, a selection, or every live one. */
export const ExportScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('conversation'), id: z.number().int().positive() }).strict(),
  z
    .object({ kind: z.literal('selection'), ids: z.array(z.number().int().positive()).min(1).max(10_000) })
    .strict(),
  z.object({ kind: z.literal('all') }).strict(),
]);
export type ExportScope = z.infer<typeof ExportScopeSchema>;

export const ExportRequestSchema = z
  .object({
    scope: ExportScopeSchema,
    format: ExportFormatSchema,
    /** 'all' (every branch) is JSON only; the readable formats show the active branch. */
    branches: z.enum(['active', 'all']).default('active'),
  })
  .strict();
export type ExportRequest = z.output<typeof ExportRequestSchema>;

export const ExportProgressSchema = z.object({
  conversationsDone: z.number().int().nonnegative(),
  conversationsTotal: z.number().int().nonnegative(),
  messagesDone: z.number().int().nonnegative(),
  /** PDF only: the messages are written, Chromium/printToPDF is laying out the pages (no finer progress). */
  printing: z.boolean().optional(),
});
export type ExportProgress = z.infer<typeof ExportProgressSchema>;

export const EXPORT_MIME: Record<ExportFormat, string> = {
  json: 'application/json',
  markdown: 'text/markdown; charset=utf-8',
  markdownZip: 'application/zip',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};
export const EXPORT_EXTENSION: Record<ExportFormat, string> = {
  json: 'json',
  markdown: 'md',
  markdownZip: 'zip',
  html: 'html',
  pdf: 'pdf',
};
