// Row ↔ domain mapping for the store; the only place that knows both the column names and the
// contract's shapes.
import type { ConversationSummary, Message, MessagePart, MessageRole, MessageStatus } from '../contract/chat.ts';
import { SamplingJsonSchema } from '../contract/chat.ts';
import { SamplingOverridesSchema, type SamplingOverrides } from '../contract/engine.ts';
import { ErrorDataSchema } from '../contract/errors.ts';
import { MessageEngineSchema } from '../contract/remoteEngines.ts';
import type { ConversationRow, MessageRow, PartRow } from './statements.ts';

export function toConversation(row: ConversationRow): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    titleIsCustom: row.title_is_custom === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.active_leaf_id !== null ? { activeLeafId: row.active_leaf_id } : {}),
    messageCount: row.message_count,
    ...withSampling(parseJson(row.sampling_json, (v) => SamplingOverridesSchema.safeParse(v).data)),
    ...(row.instructions ? { instructions: row.instructions } : {}),
    ...(row.preset_id !== null ? { presetId: row.preset_id } : {}),
    ...(row.pinned_at !== null ? { pinned: true as const } : {}),
    ...(row.archived_at !== null ? { archived: true as const } : {}),
  };
}

export function toPart(row: PartRow): MessagePart {
  if (row.kind === 'text') return { kind: 'text', text: row.text ?? '' };
  const image = { imageHash: row.image_hash ?? '', mime: row.image_mime ?? '', width: row.image_width ?? 0, height: row.image_height ?? 0 };
  return row.kind === 'image' ? { kind: 'image', ...image } : { kind: 'generatedImage', ...image, ...(row.partial ? { partial: true } : {}) };
}

/** Bound parameters for SQL.insertPart, after the message id and position. */
export function partColumns(part: MessagePart): [string, string | null, string | null, string | null, number | null, number | null] {
  if (part.kind === 'text') return ['text', part.text, null, null, null, null];
  return [part.kind === 'image' ? 'image' : 'generated_image', null, part.imageHash, part.mime, part.width, part.height];
}

// JSON columns are written by this store only, but they are parsed leniently: a bad value is
// dropped rather than making the whole conversation unreadable.
function parseJson<T>(text: string | null, parse: (v: unknown) => T | undefined): T | undefined {
  if (text === null) return undefined;
  try {
    return parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export function toMessage(row: MessageRow, parts: MessagePart[]): Message {
  const sampling = parseJson(row.sampling_json, (v) => SamplingJsonSchema.safeParse(v).data);
  const error = parseJson(row.error_json, (v) => ErrorDataSchema.safeParse(v).data);
  const engine = parseJson(row.engine_json, (v) => MessageEngineSchema.safeParse(v).data);
  return {
    id: row.id,
    conversationId: row.conversation_id,
    parentId: row.parent_id,
    role: row.role as MessageRole,
    status: row.status as MessageStatus,
    parts,
    ...(sampling !== undefined ? { sampling } : {}),
    ...(row.seed !== null ? { seed: row.seed } : {}),
    ...(row.model_file_name !== null
      ? { model: { fileName: row.model_file_name, sizeBytes: row.model_size_bytes ?? 0, ...(row.model_sha256 !== null ? { sha256: row.model_sha256 } : {}) } }
      : {}),
    ...(engine !== undefined ? { engine } : {}),
    ...(row.prompt_tokens !== null && row.completion_tokens !== null ? { tokens: { prompt: row.prompt_tokens, completion: row.completion_tokens } } : {}),
    ...(row.total_ms !== null
      ? { timings: { promptMs: row.prompt_ms ?? 0, firstTokenMs: row.first_token_ms ?? 0, totalMs: row.total_ms, tokensPerSecond: row.tokens_per_second ?? 0 } }
      : {}),
    ...(error !== undefined ? { error } : {}),
    createdAt: row.created_at,
    siblingIndex: row.sibling_index,
    siblingCount: row.sibling_count,
  };
}

const TITLE_CHARS = 80;

/** A conversation title from its first user message: the first non-empty line, whitespace collapsed, shortened. */
export function deriveTitle(text: string): string {
  const line = text.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).find((l) => l !== '') ?? '';
  const chars = [...line];
  return chars.length <= TITLE_CHARS ? line : `${chars.slice(0, TITLE_CHARS - 1).join('').trimEnd()}…`;
}

function withSampling(sampling: SamplingOverrides | undefined): { sampling?: SamplingOverrides } {
  return sampling && Object.keys(sampling).length > 0 ? { sampling } : {};
}
