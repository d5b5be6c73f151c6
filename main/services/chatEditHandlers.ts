// The commands that organise and edit chats after the fact (issue 15): instructions and presets,
// pin and archive, fork, edit and delete one message, and the API server's request log. Spread
// into createAppHandlers; each change is announced as chats.changed so every window follows.
import type { Handlers } from '../contract/api.ts';
import type { ChatStore } from '../store/ChatStore.ts';
import type { EventHub } from './eventHub.ts';
import type { RequestLog } from './requestLog.ts';

export interface ChatEditDeps {
  store: ChatStore;
  events: EventHub;
  /** The API server's log; absent where no server runs (Electron without `serve`). */
  requests?: RequestLog;
}

type EditCommands = Pick<
  Handlers['commands'],
  | 'chats.pinned'
  | 'chats.setPinned'
  | 'chats.setArchived'
  | 'chats.setInstructions'
  | 'chats.fork'
  | 'chats.applyPreset'
  | 'presets.list'
  | 'presets.save'
  | 'presets.delete'
  | 'messages.editText'
  | 'messages.delete'
  | 'server.requests'
>;

export function chatEditCommands({ store, events, requests }: ChatEditDeps): EditCommands {
  const changed = (reason: 'created' | 'messages' | 'sampling' | 'instructions' | 'pinned' | 'archived', conversationId: number): void =>
    events.emit('chats.changed', { reason, conversationId });
  return {
    'chats.pinned': () => store.edits().pinned(),
    'chats.setPinned': ({ id, pinned }) => {
      const chat = store.edits().setPinned(id, pinned);
      changed('pinned', id);
      return chat;
    },
    'chats.setArchived': ({ id, archived }) => {
      const chat = store.edits().setArchived(id, archived);
      changed('archived', id);
      return chat;
    },
    'chats.setInstructions': ({ id, instructions }) => {
      const chat = store.edits().setInstructions(id, instructions);
      changed('instructions', id);
      return chat;
    },
    'chats.fork': ({ messageId }) => {
      const chat = store.edits().fork(messageId);
      changed('created', chat.id);
      return chat;
    },
    'chats.applyPreset': ({ id, presetId }) => {
      const chat = store.presets().apply(id, presetId);
      changed('sampling', id);
      return chat;
    },
    'presets.list': () => store.presets().list(),
    'presets.save': (input) => store.presets().save(input),
    'presets.delete': ({ id }) => {
      store.presets().delete(id);
      return null;
    },
    'messages.editText': ({ messageId, text }) => {
      const chat = store.edits().editText(messageId, text);
      changed('messages', chat.id);
      return chat;
    },
    'messages.delete': ({ messageId }) => {
      // An answer being written is refused (store.conflict); anything else may go while another
      // answer streams: what followed the deleted message, that answer included, moves up a level.
      const chat = store.edits().deleteMessage(messageId);
      changed('messages', chat.id);
      return chat;
    },
    'server.requests': () => ({ available: requests !== undefined, requests: requests?.list() ?? [] }),
  };
}
