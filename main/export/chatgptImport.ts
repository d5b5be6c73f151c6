// ChatGPT's data export (conversations.json): an array of conversations whose messages form a tree
// in `mapping` (node → parent, children), `current_node` being the branch that was shown. We keep
// user/assistant/system messages with their text parts, in tree order; hidden or empty nodes and
// tool calls are skipped and their children re-attached to the nearest kept ancestor. Images are
// file pointers in that JSON; their bytes are files beside it in ChatGPT's export folder
// (file-<id>-<name>.png …): found there, they become image parts; otherwise a text note says so.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TITLE_MAX_CHARS, type MessagePart, type MessageRole } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import type { TranscriptConversation, TranscriptImage, TranscriptMessage } from '../contract/transcript.ts';
import { TRANSCRIPT_IMPORT_MAX_BYTES } from '../contract/transcript.ts';

/** The bytes of the image an asset pointer names, or undefined when the export does not have it. */
export type ChatGptAssets = (pointer: string) => Uint8Array | undefined;

const IMAGE_MAX_BYTES = 48 * 1024 * 1024;

/** Assets from the files in `dir` (and its sub-folders one level down), matched by the pointer's file id. */
export function folderAssets(dir: string): ChatGptAssets {
  let files: string[] | undefined;
  const list = (): string[] => {
    if (files) return files;
    files = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile()) files.push(entry.name);
      else if (entry.isDirectory())
        for (const sub of readdirSync(join(dir, entry.name), { withFileTypes: true }))
          if (sub.isFile()) files.push(join(entry.name, sub.name));
    }
    return files;
  };
  return (pointer) => {
    const id = /^[a-z-]+:\/\/([A-Za-z0-9_-]{4,100})$/.exec(pointer)?.[1];
    if (!id) return undefined;
    const name = list().find((f) => (f.split('/').at(-1) ?? '').startsWith(id));
    if (!name) return undefined;
    const path = join(dir, name);
    if (statSync(path).size > IMAGE_MAX_BYTES) return undefined;
    return readFileSync(path);
  };
}

/** The image type by its first bytes (a file's name in an export is not to be trusted). */
export function sniffImageMime(b: Uint8Array): string | undefined {
  const ascii = (from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'GIF8') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

interface ConvertContext {
  assets: ChatGptAssets | undefined;
  images: Map<string, TranscriptImage>;
  /** Image bytes left for the whole import. */
  budget: { bytes: number };
}

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

export function chatGptToTranscript(value: unknown, assets?: ChatGptAssets): TranscriptConversation[] {
  const parsed = ChatGptExportSchema.safeParse(value);
  if (!parsed.success)
    throw new AppError(
      'import.invalid',
      `This conversations.json does not have the expected shape: ${z.prettifyError(parsed.error).slice(0, 2000)}`,
    );
  const budget = { bytes: TRANSCRIPT_IMPORT_MAX_BYTES };
  return parsed.data.map((c, index) => convert(c, index, { assets, images: new Map(), budget }));
}

const ms = (seconds: number | null | undefined, fallback: number): number =>
  typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? Math.round(seconds * 1000)
    : fallback;

function imagePart(
  p: { asset_pointer?: unknown; width?: unknown; height?: unknown },
  ctx: ConvertContext,
): MessagePart {
  const pointer = String(p.asset_pointer ?? '').slice(0, 200);
  const bytes = ctx.assets?.(pointer);
  const mime = bytes && sniffImageMime(bytes);
  const { width, height } = p;
  if (
    !bytes ||
    !mime ||
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    (width as number) <= 0 ||
    (height as number) <= 0
  ) {
    return { kind: 'text', text: `[image not included in the export: ${pointer}]` };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!ctx.images.has(sha256)) {
    ctx.budget.bytes -= bytes.byteLength;
    if (ctx.budget.bytes < 0)
      throw new AppError(
        'import.tooLarge',
        `The export's images add up to more than ${TRANSCRIPT_IMPORT_MAX_BYTES} bytes.`,
      );
    ctx.images.set(sha256, {
      sha256,
      mime,
      width: width as number,
      height: height as number,
      base64: Buffer.from(bytes).toString('base64'),
    });
  }
  return { kind: 'image', imageHash: sha256, mime, width: width as number, height: height as number };
}

function partsOf(node: ChatGptNode, ctx: ConvertContext): MessagePart[] {
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
      out.push(imagePart(p as { asset_pointer?: unknown; width?: unknown; height?: unknown }, ctx));
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

function convert(c: ChatGptConversation, index: number, ctx: ConvertContext): TranscriptConversation {
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
    const parts = partsOf(node, ctx);
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
    images: [...ctx.images.values()],
  };
}
