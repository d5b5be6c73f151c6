// The composer's draft as an ordered list of blocks: text blocks and image blocks, in the order the
// user placed them. An image dropped or pasted at the caret splits that text block in two, so the
// message's parts keep the user's order (text, image, text, …). Pure, so the rules are unit-tested.
import type { ImagePart, TextPart } from '../../../main/contract/chat.ts';

export type DraftBlock = { kind: 'text'; key: number; text: string } | { kind: 'image'; key: number; attachmentId: number };

/** A fresh draft: one empty text block. */
export function emptyDraft(key: number): DraftBlock[] {
  return [{ kind: 'text', key, text: '' }];
}

/**
 * Insert image blocks at `caret` inside text block `textKey` (or after the last text when the key
 * is not found): the text before the caret stays in that block, the text after moves to a new block
 * (`afterKey`) that follows the images. Returns the new draft; the input is not changed.
 */
export function insertImages(blocks: readonly DraftBlock[], textKey: number | undefined, caret: number, images: readonly { key: number; attachmentId: number }[], afterKey: number): DraftBlock[] {
  if (images.length === 0) return [...blocks];
  let index = blocks.findIndex((b) => b.key === textKey && b.kind === 'text');
  const found = index >= 0;
  if (!found) index = blocks.findLastIndex((b) => b.kind === 'text');
  const target = blocks[index];
  const imageBlocks: DraftBlock[] = images.map((i) => ({ kind: 'image', key: i.key, attachmentId: i.attachmentId }));
  if (!target || target.kind !== 'text') return [...blocks, ...imageBlocks, { kind: 'text', key: afterKey, text: '' }];
  const at = found ? Math.max(0, Math.min(caret, target.text.length)) : target.text.length;
  const before = target.text.slice(0, at).replace(/[ \t]*\n?$/, '');
  const after = target.text.slice(at).replace(/^[ \t]*\n?/, '');
  return [...blocks.slice(0, index), { ...target, text: before }, ...imageBlocks, { kind: 'text', key: afterKey, text: after }, ...blocks.slice(index + 1)];
}

/** Remove an image block; the text blocks around it join (with a line break when both have text). */
export function removeImage(blocks: readonly DraftBlock[], key: number): DraftBlock[] {
  const index = blocks.findIndex((b) => b.key === key);
  if (index < 0) return [...blocks];
  const out = [...blocks.slice(0, index), ...blocks.slice(index + 1)];
  const prev = out[index - 1];
  const next = out[index];
  if (prev?.kind === 'text' && next?.kind === 'text') {
    const text = prev.text !== '' && next.text !== '' ? `${prev.text}\n${next.text}` : prev.text + next.text;
    out.splice(index - 1, 2, { ...prev, text });
  }
  if (out.length === 0) return [{ kind: 'text', key, text: '' }];
  return out;
}

export function imageCount(blocks: readonly DraftBlock[]): number {
  return blocks.filter((b) => b.kind === 'image').length;
}

export function draftText(blocks: readonly DraftBlock[]): string {
  return blocks.flatMap((b) => (b.kind === 'text' && b.text.trim() !== '' ? [b.text.trim()] : [])).join('\n');
}

export function isDraftEmpty(blocks: readonly DraftBlock[]): boolean {
  return imageCount(blocks) === 0 && draftText(blocks) === '';
}

/**
 * The message parts in the user's order: blank text dropped, text trimmed; an image whose part is
 * not known (still being tokenized, failed) makes the whole result undefined.
 */
export function draftToParts(blocks: readonly DraftBlock[], partOf: (attachmentId: number) => ImagePart | undefined): Array<TextPart | ImagePart> | undefined {
  const parts: Array<TextPart | ImagePart> = [];
  for (const b of blocks) {
    if (b.kind === 'text') {
      const text = b.text.trim();
      if (text !== '') parts.push({ kind: 'text', text });
    } else {
      const part = partOf(b.attachmentId);
      if (!part) return undefined;
      parts.push(part);
    }
  }
  return parts;
}

/** Rough text token count for the meter before sending (Chameleon's BPE: ~3.5 characters a token). */
export function estimateTextTokens(text: string): number {
  return text === '' ? 0 : Math.ceil(text.length / 3.5);
}

export interface ContextFit {
  /** The message can be sent: alone (with room for an answer) it fits the context. */
  fits: boolean;
  /** It fits only with older exchanges left out (main's context policy drops them whole). */
  dropsOlder: boolean;
  /** Tokens the next prompt would hold: the chat so far + this message (+ turn markers). */
  needed: number;
  contextSize: number;
  /** Plain words for the composer when it does not fit; '' when it does. */
  explanation: string;
  /** Plain words when it fits by dropping older messages; '' otherwise. */
  note: string;
}

/** Per-turn markers around a user message and the answer's start (separators, end-of-turn). */
export const TURN_OVERHEAD_TOKENS = 4;

/**
 * Whether the next message can go out. Main's context policy (main/services/contextBudget.ts)
 * drops the oldest exchanges when the chat no longer fits, so only the new message itself —
 * its text (estimated), `tokensPerImage` per image, turn markers and room for at least
 * `answerReserve` tokens of answer — must fit; a full chat is no reason to refuse (issue 15, defect 2).
 */
export function contextFit(input: { used: number; contextSize: number; textTokens: number; images: number; tokensPerImage: number; answerReserve?: number }): ContextFit {
  const reserve = input.answerReserve ?? 16;
  const message = input.textTokens + input.images * input.tokensPerImage + TURN_OVERHEAD_TOKENS;
  const needed = input.used + message;
  const fits = message + reserve <= input.contextSize;
  const dropsOlder = fits && needed + reserve > input.contextSize && input.used > 0;
  const n = (x: number): string => x.toLocaleString('en-US');
  let explanation = '';
  if (!fits) {
    const imgs = input.images === 1 ? '1 image' : `${input.images} images`;
    const what = input.images > 0 ? `This message needs about ${n(message)} tokens (${imgs} × ${n(input.tokensPerImage)})` : `This message needs about ${n(message)} tokens`;
    const fix = input.images > 0 ? 'Remove an image, or raise the context size in Settings.' : 'Shorten it, or raise the context size in Settings.';
    explanation = `${what}, but the context holds ${n(input.contextSize)} in all. ${fix}`;
  }
  const note = dropsOlder ? 'Older messages will be left out of what Chameleon sees, to make room for this one.' : '';
  return { fits, dropsOlder, needed, contextSize: input.contextSize, explanation, note };
}
