// Builds Chameleon prompts at the token level (chameleon.md §2). Text never passes through
// special-token parsing, so a user typing "<eoss>" or "IMGIMGBZ" gets text tokens, never control
// or image ids; those ids enter only from image segments and from this builder.
//
// Multi-turn layout (the reference code defines a single turn; this is its natural extension):
//   BOS  user₁ EOT  assistant₁ EOS  user₂ EOT  assistant₂ EOS  …  userₙ EOT   → the model answers
// An assistant turn last is an answer left open (no EOS): the model continues it (Continue).
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
  for (const [i, turn] of turns.entries()) {
    if (turn.role === 'assistant') {
      const only = turn.segments.length === 1 ? turn.segments[0] : undefined;
      const cached = only?.type === 'text' ? answers?.(only.text) : undefined;
      if (cached) append(out, cached);
      else for (const s of turn.segments) append(out, segmentTokens(s, tokenize));
      if (i < turns.length - 1) out.push(EOS_ID);
    } else {
      for (const s of turn.segments) append(out, segmentTokens(s, tokenize));
      out.push(EOT_ID);
    }
  }
  return out;
}

/**
 * Chameleon has no system role: instructions (the API's system messages, a chat's own
 * instructions) go in front of the first user turn's content, separated by a blank line.
 */
export function instructionsSegment(instructions: readonly string[]): PromptSegment | undefined {
  const text = instructions.filter((t) => t.trim() !== '').join('\n\n');
  return text === '' ? undefined : { type: 'text', text: `${text}\n\n` };
}

/** The turns with `instructions` in front of the first user turn (see instructionsSegment). */
export function withInstructions(turns: readonly ChatTurn[], instructions: readonly string[]): ChatTurn[] {
  const segment = instructionsSegment(instructions);
  const first = turns.findIndex((t) => t.role === 'user');
  if (!segment || first < 0) return [...turns];
  const out = [...turns];
  out[first] = { role: 'user', segments: [segment, ...turns[first]!.segments] };
  return out;
}

/** Where an open answer's own tokens begin in a prompt: after the last end-of-turn or end-of-answer id. */
export function openAnswerStart(prompt: readonly number[]): number {
  for (let i = prompt.length - 1; i >= 0; i--) if (prompt[i] === EOT_ID || prompt[i] === EOS_ID) return i + 1;
  return 1;
}
