import { describe, expect, it } from 'vitest';
import type { ImagePart } from '../../../main/contract/chat.ts';
import { contextFit, draftToParts, emptyDraft, imageCount, insertImages, isDraftEmpty, removeImage, type DraftBlock } from '../../../renderer/src/lib/draftParts.ts';
import { keyAction } from '../../../renderer/src/lib/keymap.ts';

const part = (n: number): ImagePart => ({ kind: 'image', imageHash: String(n).repeat(64).slice(0, 64), mime: 'image/png', width: 512, height: 512 });
const parts = new Map([
  [10, part(1)],
  [20, part(2)],
]);
const partOf = (id: number) => parts.get(id);

describe('draft parts: images go where the user put them', () => {
  it('splits the text at the caret: text before, the image, text after become separate parts in order', () => {
    const draft: DraftBlock[] = [{ kind: 'text', key: 1, text: 'What is in this picture? Compare with' }];
    const next = insertImages(draft, 1, 'What is in this picture?'.length, [{ key: 2, attachmentId: 10 }], 3);
    expect(next.map((b) => b.kind)).toEqual(['text', 'image', 'text']);
    expect(draftToParts(next, partOf)).toEqual([
      { kind: 'text', text: 'What is in this picture?' },
      part(1),
      { kind: 'text', text: 'Compare with' },
    ]);
    // A second image at the end of the trailing text: text, image, text, image.
    const after = next[2]!;
    const two = insertImages(next, after.key, 'Compare with'.length, [{ key: 4, attachmentId: 20 }], 5);
    expect(draftToParts(two, partOf)).toEqual([{ kind: 'text', text: 'What is in this picture?' }, part(1), { kind: 'text', text: 'Compare with' }, part(2)]);
    expect(imageCount(two)).toBe(2);
    // The input draft is left as it was.
    expect(draft).toEqual([{ kind: 'text', key: 1, text: 'What is in this picture? Compare with' }]);
  });

  it('puts several images dropped at once in their order; at caret 0 the image leads the message', () => {
    const next = insertImages(emptyDraft(1), 1, 0, [
      { key: 2, attachmentId: 20 },
      { key: 3, attachmentId: 10 },
    ], 4);
    const withText = next.map((b) => (b.key === 4 && b.kind === 'text' ? { ...b, text: '  which is brighter?  ' } : b));
    expect(draftToParts(withText, partOf)).toEqual([part(2), part(1), { kind: 'text', text: 'which is brighter?' }]);
  });

  it('an unknown text block (or none focused yet) appends at the end', () => {
    const draft: DraftBlock[] = [{ kind: 'text', key: 1, text: 'hello' }];
    expect(draftToParts(insertImages(draft, undefined, 0, [{ key: 2, attachmentId: 10 }], 3), partOf)).toEqual([{ kind: 'text', text: 'hello' }, part(1)]);
    expect(draftToParts(insertImages(draft, 99, 2, [{ key: 2, attachmentId: 10 }], 3), partOf)).toEqual([{ kind: 'text', text: 'hello' }, part(1)]);
    // A known block splits at its caret.
    expect(draftToParts(insertImages(draft, 1, 2, [{ key: 2, attachmentId: 10 }], 3), partOf)).toEqual([{ kind: 'text', text: 'he' }, part(1), { kind: 'text', text: 'llo' }]);
  });

  it('removing an image joins the text around it; removing the last leaves an empty draft', () => {
    const split = insertImages([{ kind: 'text', key: 1, text: 'before after' }], 1, 6, [{ key: 2, attachmentId: 10 }], 3);
    const joined = removeImage(split, 2);
    expect(joined).toEqual([{ kind: 'text', key: 1, text: 'before\nafter' }]);
    const lone = insertImages(emptyDraft(1), 1, 0, [{ key: 2, attachmentId: 10 }], 3);
    const empty = removeImage(lone, 2);
    expect(isDraftEmpty(empty)).toBe(true);
    expect(empty.filter((b) => b.kind === 'text')).toHaveLength(1);
  });

  it('is not sendable while an image has no part yet (still tokenizing or failed)', () => {
    const draft = insertImages([{ kind: 'text', key: 1, text: 'x' }], 1, 1, [{ key: 2, attachmentId: 77 }], 3);
    expect(draftToParts(draft, partOf)).toBeUndefined();
    expect(isDraftEmpty(draft)).toBe(false);
  });
});

describe('context fit: 1026 tokens per image', () => {
  it('counts every image as 1026 and refuses with an explanation when the message cannot fit', () => {
    const ok = contextFit({ used: 100, contextSize: 4096, textTokens: 10, images: 2, tokensPerImage: 1026 });
    expect(ok.fits).toBe(true);
    expect(ok.needed).toBe(100 + 10 + 2 * 1026 + 4);
    expect(ok.explanation).toBe('');

    // The chat is long, but the context policy drops its oldest exchanges: this still goes out.
    const three = contextFit({ used: 1000, contextSize: 4096, textTokens: 10, images: 3, tokensPerImage: 1026 });
    expect(three.fits).toBe(true);
    expect(three.dropsOlder).toBe(true);
    expect(three.needed).toBe(1000 + 10 + 3 * 1026 + 4);
    expect(three.note).toContain('Older messages will be left out');

    const four = contextFit({ used: 100, contextSize: 4096, textTokens: 10, images: 4, tokensPerImage: 1026 });
    expect(four.fits).toBe(false);
    expect(four.explanation).toContain('holds 4,096 in all');

    const tiny = contextFit({ used: 0, contextSize: 1024, textTokens: 3, images: 1, tokensPerImage: 1026 });
    expect(tiny.fits).toBe(false);
    expect(tiny.explanation).toContain('holds 1,024 in all');
  });

  it('accepts a follow-up in a chat an answer filled: the policy drops old turns (issue 15, defect 2)', () => {
    const full = contextFit({ used: 4096, contextSize: 4096, textTokens: 6, images: 0, tokensPerImage: 1026 });
    expect(full.fits).toBe(true);
    expect(full.dropsOlder).toBe(true);
    expect(full.explanation).toBe('');
  });

  it('names images only when there are some (issue 15, defect 11)', () => {
    const text = contextFit({ used: 0, contextSize: 512, textTokens: 600, images: 0, tokensPerImage: 1026 });
    expect(text.fits).toBe(false);
    expect(text.explanation).not.toContain('image');
    expect(text.explanation).toContain('Shorten it');
    const img = contextFit({ used: 0, contextSize: 1024, textTokens: 3, images: 1, tokensPerImage: 1026 });
    expect(img.explanation).toContain('Remove an image');
  });

  it('leaves room for an answer: exactly full is not a fit', () => {
    expect(contextFit({ used: 0, contextSize: 1030, textTokens: 0, images: 1, tokensPerImage: 1026 }).fits).toBe(false);
    expect(contextFit({ used: 0, contextSize: 1046, textTokens: 0, images: 1, tokensPerImage: 1026 }).fits).toBe(true);
  });
});

describe('keymap: export', () => {
  it('Ctrl+Shift+E (Cmd+Shift+E on macOS) opens export', () => {
    const ev = { key: 'E', ctrlKey: true, metaKey: false, shiftKey: true, altKey: false };
    expect(keyAction(ev, 'global', false, false)).toBe('export');
    expect(keyAction({ ...ev, ctrlKey: false, metaKey: true }, 'global', true, false)).toBe('export');
    expect(keyAction({ ...ev, shiftKey: false }, 'global', false, false)).toBeNull();
  });
});
