// ChatGPT's data export (conversations.json): an array of conversations whose messages form a tree
// in `mapping` (node → parent, children), `current_node` being the branch that was shown. We keep
// user/assistant/system messages with their text parts, in tree order; hidden or empty nodes and
// tool calls are skipped and their children re-attached to the nearest kept ancestor. Images are
// only file pointers in that JSON (the bytes are separate files), so each becomes a text note.
import { z } from 'zod';
import { TITLE_MAX_CHARS, type MessagePart, type MessageRole } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import type { TranscriptConversation, TranscriptMessage } from '../contract/transcript.ts';

const NodeSchema = z.object({
  id: z.string().max(200),
  parent: z.string().max(200).nullish(),
  children: z.array(z.string().max(200)).max(10_000).default([]),
  message: z
    .object({
      author: z.object({ role: z.string().max(50) }).loose(),
      create_time: z.number().nullish(),
      content: z
        .object({
          content_type: z.string().max(100),
          parts: z.array(z.unknown()).max(1000).optional(),
          text: z.string().optional(),
        })
        .loose(),
      metadata: z.record(z.string(), z.unknown()).nullish(),
    })
    .loose()
    .nullish(),
});

const ConversationSchema = z
  .object({
    title: z.string().nullish(),
    create_time: z.number().nullish(),
    update_time: z.number().nullish(),
    mapping: z.record(z.string(), NodeSchema),
    current_node: z.string().nullish(),
  })
  .loose();

export const ChatGptExportSchema = z.array(ConversationSchema).max(100_000);
type ChatGptConversation = z.infer<typeof ConversationSchema>;
type ChatGptNode = z.infer<typeof NodeSchema>;

export function isChatGptExport(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    typeof value[0] === 'object' &&
    value[0] !== null &&
    'mapping' in value[0]
  );
}

export function chatGptToTranscript(value: unknown): TranscriptConversation[] {
  const parsed = ChatGptExportSchema.safeParse(value);
  if (!parsed.success)
    throw new AppError(
      'import.invalid',
      `This conversations.json does not have the expected shape: ${z.prettifyError(parsed.error).slice(0, 2000)}`,
    );
  return parsed.data.map(convert);
}

const ms = (seconds: number | null | undefined, fallback: number): number =>
  typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? Math.round(seconds * 1000)
    : fallback;

function partsOf(node: ChatGptNode): MessagePart[] {
  const content = node.message?.content;
  if (!content) return [];
  const out: MessagePart[] = [];
  const texts = content.parts ?? (content.text !== undefined ? [content.text] : []);
  for (const p of texts) {
    if (typeof p === 'string') {
      if (p !== '') out.push({ kind: 'text', text: p });
    } else if (
      typeof p === 'object' &&
      p !== null &&
      (p as { content_type?: unknown }).content_type === 'image_asset_pointer'
    ) {
      const pointer = String((p as { asset_pointer?: unknown }).asset_pointer ?? '').slice(0, 200);
      out.push({ kind: 'text', text: `[image not included in conversations.json: ${pointer}]` });
    }
  }
  return out;
}

function roleOf(node: ChatGptNode): MessageRole | undefined {
  const role = node.message?.author.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system') return undefined;
  if (node.message?.metadata?.is_visually_hidden_from_conversation === true) return undefined;
  return role;
}

function convert(c: ChatGptConversation, index: number): TranscriptConversation {
  const created = ms(c.create_time, 0);
  const messages: TranscriptMessage[] = [];
  const localId = new Map<string, number>();
  const roots = Object.values(c.mapping).filter((n) => !n.parent || !c.mapping[n.parent]);
  // Iterative depth-first walk: a long chat is a 10 000-deep chain.
  const stack: { id: string; keptParent: number | null }[] = roots
    .reverse()
    .map((n) => ({ id: n.id, keptParent: null }));
  const seen = new Set<string>();
  while (stack.length > 0) {
    const { id, keptParent } = stack.pop()!;
    const node = c.mapping[id];
    if (!node || seen.has(id)) continue;
    seen.add(id);
    const role = roleOf(node);
    const parts = partsOf(node);
    let parent = keptParent;
    if (role && parts.length > 0) {
      const local = messages.length + 1;
      messages.push({
        id: local,
        parentId: keptParent,
        role,
        status: 'complete',
        createdAt: ms(node.message?.create_time, created),
        parts,
      });
      localId.set(id, local);
      parent = local;
    }
    for (const child of [...node.children].reverse()) stack.push({ id: child, keptParent: parent });
  }
  if (messages.length === 0 && Object.keys(c.mapping).length > 0 && roots.length === 0)
    throw new AppError('import.invalid', 'A conversation has no first message.', { conversation: index });
  let leaf: number | undefined;
  let id = c.current_node ?? undefined;
  // Bounded walk: a parent cycle in a hostile file must not loop forever.
  for (let steps = 0; id !== undefined && leaf === undefined && steps <= seen.size; steps++) {
    leaf = localId.get(id);
    id = c.mapping[id]?.parent ?? undefined;
  }
  const title = [...(c.title ?? '').replace(/\s+/g, ' ').trim()].slice(0, TITLE_MAX_CHARS).join('');
  return {
    title,
    titleIsCustom: title !== '',
    createdAt: created,
    updatedAt: Math.max(created, ms(c.update_time, created)),
    ...(leaf !== undefined ? { activeLeafId: leaf } : {}),
    branches: 'all',
    messages,
    images: [],
  };
}
