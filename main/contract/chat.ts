// Chat history's domain shapes: what the store returns and what the UI and the API send and render.
// Environment-free (zod + errors.ts only), so the renderer can import it too. The store that
// produces these lives in main/store.
import { z } from 'zod';
import { SamplingOverridesSchema } from './engine.ts';
import { ErrorDataSchema } from './errors.ts';
import { MessageEngineSchema } from './remoteEngines.ts';

/** Row ids are SQLite integer keys, never reused (AUTOINCREMENT), so a stale id can't alias new data. */
export const IdSchema = z.number().int().positive();
/** Milliseconds since the Unix epoch. */
export const TimestampSchema = z.number().int().nonnegative();

export const TITLE_MAX_CHARS = 200;
export const MESSAGE_TEXT_MAX_CHARS = 1_000_000;
export const SEARCH_QUERY_MAX_CHARS = 500;
export const PAGE_LIMIT_MAX = 500;
export const INSTRUCTIONS_MAX_CHARS = 20_000;

export const MESSAGE_ROLES = ['user', 'assistant', 'system'] as const;
export const MessageRoleSchema = z.enum(MESSAGE_ROLES);
export type MessageRole = z.infer<typeof MessageRoleSchema>;

/**
 * streaming: being written now; complete: ended normally; stopped: the user stopped it;
 * interrupted: the app or host died mid-stream (text so far kept); error: generation failed.
 */
export const MESSAGE_STATUSES = ['streaming', 'complete', 'stopped', 'interrupted', 'error'] as const;
export const MessageStatusSchema = z.enum(MESSAGE_STATUSES);
export type MessageStatus = z.infer<typeof MessageStatusSchema>;
/** The statuses a stream may end with through the writer's finish(). */
export const FinishStatusSchema = z.enum(['complete', 'stopped']);
export type FinishStatus = z.infer<typeof FinishStatusSchema>;


const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

export const TextPartSchema = z.object({ kind: z.literal('text'), text: z.string().max(MESSAGE_TEXT_MAX_CHARS) });
/** An image the user attached; the bytes live in the content-addressed image store under imageHash. */
export const ImagePartSchema = z.object({
  kind: z.literal('image'),
  imageHash: sha256Hex,
  mime: z.string().min(1).max(100),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
/**
 * An image the model generated (issue 12): stored like an attached image, its codes kept in the
 * codes cache under the decoder's weights (a follow-up turn re-uses them, never re-encodes).
 * `partial`: the answer was stopped mid-image; the missing codes are shown padded.
 */
export const GeneratedImagePartSchema = ImagePartSchema.extend({ kind: z.literal('generatedImage'), partial: z.boolean().optional() });
export const MessagePartSchema = z.discriminatedUnion('kind', [TextPartSchema, ImagePartSchema, GeneratedImagePartSchema]);
export type TextPart = z.infer<typeof TextPartSchema>;
export type ImagePart = z.infer<typeof ImagePartSchema>;
export type GeneratedImagePart = z.infer<typeof GeneratedImagePartSchema>;
export type MessagePart = z.infer<typeof MessagePartSchema>;
/** What a user message may be made of: text and attached images, at least one part. */
export const UserMessagePartsSchema = z.array(z.discriminatedUnion('kind', [TextPartSchema, ImagePartSchema])).min(1).max(64);

/** The file extension an image of this MIME type is stored and exported under. */
export const IMAGE_EXTENSION_BY_MIME: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/tiff': 'tiff',
  'image/avif': 'avif',
};
export function imageExtension(mime: string): string {
  return IMAGE_EXTENSION_BY_MIME[mime] ?? 'bin';
}

export const ModelIdentitySchema = z.object({
  fileName: z.string().min(1).max(1000),
  sizeBytes: z.number().int().nonnegative(),
  sha256: sha256Hex.optional(),
});
export type ModelIdentity = z.infer<typeof ModelIdentitySchema>;

export const TokenCountsSchema = z.object({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() });
export type TokenCounts = z.infer<typeof TokenCountsSchema>;

export const MessageTimingsSchema = z.object({
  promptMs: z.number().nonnegative(),
  firstTokenMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  tokensPerSecond: z.number().nonnegative(),
});
export type MessageTimings = z.infer<typeof MessageTimingsSchema>;

/** Sampling settings are stored as given (the engine contract owns their schema), as plain JSON. */
export const SamplingJsonSchema = z.record(z.string(), z.unknown());
export type SamplingJson = z.infer<typeof SamplingJsonSchema>;

export const MessageSchema = z.object({
  id: IdSchema,
  conversationId: IdSchema,
  /** null for a first message; messages sharing a parent are siblings (edits, regenerations). */
  parentId: IdSchema.nullable(),
  role: MessageRoleSchema,
  status: MessageStatusSchema,
  /** Ordered. */
  parts: z.array(MessagePartSchema),
  sampling: SamplingJsonSchema.optional(),
  seed: z.number().int().nonnegative().optional(),
  model: ModelIdentitySchema.optional(),
  /** Which engine (this computer or a remote one) and model answered; absent on older messages. */
  engine: MessageEngineSchema.optional(),
  tokens: TokenCountsSchema.optional(),
  timings: MessageTimingsSchema.optional(),
  error: ErrorDataSchema.optional(),
  createdAt: TimestampSchema,
  /** 0-based position among its siblings (oldest first); shown as ‹ siblingIndex+1 / siblingCount ›. */
  siblingIndex: z.number().int().nonnegative(),
  siblingCount: z.number().int().positive(),
});
export type Message = z.infer<typeof MessageSchema>;

export const ConversationSummarySchema = z.object({
  id: IdSchema,
  title: z.string().max(TITLE_MAX_CHARS),
  /** false: the title follows the first user message; true: the user renamed it. */
  titleIsCustom: z.boolean(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  /** The last message of the branch being shown; absent for an empty chat. */
  activeLeafId: IdSchema.optional(),
  /** All messages of the conversation, every branch included. */
  messageCount: z.number().int().nonnegative().optional(),
  /** The chat's own sampling settings over the app defaults; absent: the defaults. */
  sampling: SamplingOverridesSchema.optional(),
  /** Put in front of the first user turn (Chameleon has no system role); absent: none. */
  instructions: z.string().max(INSTRUCTIONS_MAX_CHARS).optional(),
  /** The preset the chat's instructions and sampling were last set from (while it exists). */
  presetId: IdSchema.optional(),
  /** Pinned chats head the sidebar; absent: not pinned. */
  pinned: z.literal(true).optional(),
  /** Archived chats leave the sidebar's list for its Archived view; absent: not archived. */
  archived: z.literal(true).optional(),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;

// Search snippets mark matches with two control characters instead of HTML, so the UI can split
// on them and render plain text nodes: nothing in a message can inject markup through a snippet.
export const HIGHLIGHT_START = '\u0002';
export const HIGHLIGHT_END = '\u0003';

export const SearchHitSchema = z.object({
  conversationId: IdSchema,
  messageId: IdSchema,
  conversationTitle: z.string(),
  role: MessageRoleSchema,
  /** Text around the match, matches wrapped in HIGHLIGHT_START … HIGHLIGHT_END; see splitHighlights. */
  snippet: z.string(),
  createdAt: TimestampSchema,
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const SearchQuerySchema = z.object({
  query: z.string().max(SEARCH_QUERY_MAX_CHARS),
  limit: z.number().int().min(1).max(100).default(30),
});
export type SearchQuery = z.infer<typeof SearchQuerySchema>;

/** Opaque keyset cursor: pass a page's nextCursor back to get the page after it. */
export const CursorSchema = z.string().min(1).max(200);

export const PageRequestSchema = z.object({
  cursor: CursorSchema.optional(),
  limit: z.number().int().min(1).max(PAGE_LIMIT_MAX).default(50),
});
export type PageRequest = z.input<typeof PageRequestSchema>;

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextCursor?: string;
}
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: CursorSchema.optional() });
}

export interface HighlightSegment {
  text: string;
  highlighted: boolean;
}

/** Split a snippet into plain-text segments; unbalanced or stray markers are dropped, never rendered. */
export function splitHighlights(snippet: string): HighlightSegment[] {
  const out: HighlightSegment[] = [];
  let highlighted = false;
  let current = '';
  const flush = (): void => {
    if (current !== '') out.push({ text: current, highlighted });
    current = '';
  };
  for (const ch of snippet) {
    if (ch === HIGHLIGHT_START || ch === HIGHLIGHT_END) {
      flush();
      highlighted = ch === HIGHLIGHT_START;
    } else current += ch;
  }
  flush();
  return out;
}

/** The plain text of a message: its text parts joined; what search indexes and titles derive from. */
export function messageText(parts: readonly MessagePart[]): string {
  return parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('\n');
}
