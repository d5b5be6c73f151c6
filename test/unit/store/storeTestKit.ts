// Shared set-up for the store tests: temp data dirs that clean up, a clock that only moves when
// told (so "newest first" never depends on two calls landing in the same millisecond).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatStoreOptions } from '../../../main/store/ChatStore.ts';
import { ChatStore } from '../../../main/store/ChatStore.ts';
import type { Message } from '../../../main/contract/chat.ts';

export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'chameleon-store-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function steppingClock(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => (t += 1000);
}

export function memoryStore(options: ChatStoreOptions = {}): ChatStore {
  return ChatStore.open(':memory:', { now: steppingClock(), ...options });
}

export function textOf(message: Message): string {
  return message.parts.map((p) => (p.kind === 'text' ? p.text : `[${p.kind}]`)).join('');
}

/** Add a user message and a completed answer under it; returns [user, assistant]. */
export function exchange(store: ChatStore, conversationId: number, parentId: number | null, question: string, answer: string): [Message, Message] {
  const user = store.addUserMessage(conversationId, parentId, [{ kind: 'text', text: question }]);
  const writer = store.beginAssistantMessage(conversationId, user.id);
  writer.append(answer);
  const assistant = writer.finish('complete');
  if (!assistant) throw new Error('the answer vanished');
  return [user, assistant];
}
