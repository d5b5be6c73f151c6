// Builds Chameleon prompts at the token level (chameleon.md §2). Text never passes through
// special-token parsing, so a user typing "<eoss>" or "IMGIMGBZ" gets text tokens, never control
// or image ids; those ids enter only from image segments and from this builder.
//
// Multi-turn layout (the reference code defines a single turn; this is its natural extension):
//   BOS  user₁ EOT  assistant₁ EOS  user₂ EOT  assistant₂ EOS  …  userₙ EOT   → the model answers
// where BOS = <s> (0), EOT = <reserved08706> (8710), EOS = </s> (2), and an image inside any turn
// is BOI (8197) + 1024 × (code + 4) + EOI (8196) at its position among the text segments.
import { BOI_ID, BOS_ID, EOI_ID, EOS_ID, EOT_ID, codeToTokenId } from '../contract/chameleon.ts';
import type { ChatTurn, PromptSegment } from '../contract/engine.ts';

/** Tokenizes plain text: no BOS, no special-token parsing. */
export type TextTokenizer = (text: string) => readonly number[];

/**
 * Exact token ids of earlier answers, keyed by their text. Re-tokenizing generated text can split
 * it differently from how it was sampled; reusing the sampled ids keeps the KV cache prefix intact.
 */
export type AnswerTokenLookup = (text: string) => readonly number[] | undefined;

export function segmentTokens(segment: PromptSegment, tokenize: TextTokenizer): number[] {
  if (segment.type === 'image') return [BOI_ID, ...segment.codes.map(codeToTokenId), EOI_ID];
  return segment.text === '' ? [] : [...tokenize(segment.text)];
}

/**
 * Appends one by one: `out.push(...ids)` passes every id as an argument, and a 1 MB text part
 * (~250 000 ids) overflowed the stack (500 "Maximum call stack size exceeded") before the context
 * check could answer engine.contextOverflow.
 */
function append(out: number[], ids: readonly number[]): void {
  for (const id of ids) out.push(id);
}

export function buildPromptTokens(turns: readonly ChatTurn[], tokenize: TextTokenizer, answers?: AnswerTokenLookup): number[] {
  const out: number[] = [BOS_ID];
  for (const turn of turns) {
    if (turn.role === 'assistant') {
      const only = turn.segments.length === 1 ? turn.segments[0] : undefined;
      const cached = only?.type === 'text' ? answers?.(only.text) : undefined;
      if (cached) append(out, cached);
      else for (const s of turn.segments) append(out, segmentTokens(s, tokenize));
      out.push(EOS_ID);
    } else {
      for (const s of turn.segments) append(out, segmentTokens(s, tokenize));
      out.push(EOT_ID);
    }
  }
  return out;
}
