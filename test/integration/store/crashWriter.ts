// Child process for crashSafety.test.ts: opens the store in argv[2], starts an answer and streams
// deterministic deltas forever, until the parent kills it with SIGKILL. Not a test by itself.
import { ChatStore } from '../../../main/store/ChatStore.ts';

export function delta(i: number): string {
  // Multi-byte text too, so a torn write would show up as broken UTF-8.
  return i % 5 === 4 ? `naïve 🦎${i} ` : `word${i} `;
}

/** The text after deltas 0..n-1. */
export function streamedText(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += delta(i);
  return s;
}

function main(dataDir: string): void {
  const store = ChatStore.open(dataDir, { flushPolicy: { intervalMs: 20, maxPendingChars: 1 << 20 } });
  const c = store.createConversation().id;
  const q = store.addUserMessage(c, null, [{ kind: 'text', text: 'Write forever' }]);
  const writer = store.beginAssistantMessage(c, q.id);
  process.send?.({ type: 'started', conversationId: c, messageId: writer.messageId });
  let i = 0;
  setInterval(() => {
    for (let k = 0; k < 20; k++) writer.append(delta(i++));
  }, 1);
}

if (process.argv[2] !== undefined && process.send) main(process.argv[2]);
