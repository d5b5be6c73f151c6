// When a chat outgrows the context, main leaves its oldest exchanges out of the prompt (the
// context policy). The stored token counts show where that happened: an answer whose prompt is
// shorter than the previous answer's prompt + completion cannot have seen everything before it.
// The chat marks that point instead of letting the context meter jump silently (issue 15, defect 11).
import type { Message } from '../../../main/contract/chat.ts';

/** Re-tokenizing an answer inside the next prompt may differ by a few tokens from how it was sampled. */
const SLACK_TOKENS = 8;

/** Ids of the user messages whose answer saw a history with older turns left out. */
export function droppedBefore(messages: readonly Pick<Message, 'id' | 'role' | 'tokens'>[]): Set<number> {
  const marks = new Set<number>();
  let previousTotal: number | undefined;
  let lastUser: number | undefined;
  for (const m of messages) {
    if (m.role === 'user') lastUser = m.id;
    if (m.role !== 'assistant' || !m.tokens) continue;
    if (previousTotal !== undefined && lastUser !== undefined && m.tokens.prompt + SLACK_TOKENS < previousTotal) marks.add(lastUser);
    previousTotal = m.tokens.prompt + m.tokens.completion;
  }
  return marks;
}
