// What the UI needs from main, in the UI's words. One adapter (connect.ts) implements it on top of
// the contract's typed client, whichever transport that client sits on (Electron's preload global
// or the browser-mode WebSocket); the state classes never see a channel name or a transport.
import type { ConversationSummary, Message, MessagePart, Page, SearchHit } from '../../../main/contract/chat.ts';
import type { EngineStatus, ModelLoadSettingsInput, SamplingSettingsInput } from '../../../main/contract/engine.ts';
import type { ErrorData } from '../../../main/contract/errors.ts';

/** What one generation streams to the UI, in order: the rows it created, text, then the end. */
export type ChatStreamEvent =
  | { type: 'started'; user?: Message; assistant: Message }
  | { type: 'promptProgress'; evaluated: number; total: number }
  | { type: 'delta'; text: string }
  | { type: 'finished'; message: Message }
  | { type: 'failed'; error: ErrorData; message?: Message };

export interface GenerationHandle {
  events: AsyncIterable<ChatStreamEvent>;
  stop(): void;
}

export interface AppSettingsView {
  modelPath?: string;
  gpu: 'auto' | 'cuda' | 'metal' | 'vulkan' | 'cpu';
  gpuLayers: 'auto' | number;
  contextSize: number;
  threads?: number;
  sampling: { temperature: number; topP: number; topK: number; repeatPenalty: number; maxTokens: number };
}

export interface Backend {
  /** 'electron' offers a native file dialog; 'browser' types a path. */
  readonly kind: 'electron' | 'browser';

  listConversations(cursor?: string): Promise<Page<ConversationSummary>>;
  createConversation(): Promise<ConversationSummary>;
  renameConversation(id: number, title: string): Promise<ConversationSummary>;
  deleteConversation(id: number): Promise<void>;
  restoreConversation(id: number): Promise<void>;
  /** The active branch, newest page first; items inside a page oldest first. */
  activePath(conversationId: number, cursor: string | undefined, limit: number): Promise<Page<Message>>;
  /** Make the branch through this message the active one. */
  selectBranch(conversationId: number, messageId: number): Promise<void>;
  /** The sibling at `index` of a message (for ‹ 2/3 ›). */
  sibling(messageId: number, index: number): Promise<Message>;
  search(query: string): Promise<SearchHit[]>;

  send(conversationId: number, parentId: number | null, parts: MessagePart[], sampling: SamplingSettingsInput): GenerationHandle;
  regenerate(conversationId: number, assistantMessageId: number, sampling: SamplingSettingsInput): GenerationHandle;

  engineStatus(): Promise<EngineStatus>;
  onEngineStatus(listener: (status: EngineStatus) => void): () => void;
  loadModel(settings: ModelLoadSettingsInput): Promise<void>;
  cancelLoad(): Promise<void>;
  pickModelFile?(): Promise<string | undefined>;

  getSettings(): Promise<AppSettingsView>;
  saveSettings(settings: AppSettingsView): Promise<AppSettingsView>;
  /** Per-chat sampling overrides; absent fields fall back to the defaults. */
  getChatSampling(conversationId: number): Promise<SamplingSettingsInput | undefined>;
  setChatSampling(conversationId: number, sampling: SamplingSettingsInput | undefined): Promise<void>;

  /** Called with true/false as the link to main drops and comes back. */
  onConnection(listener: (connected: boolean) => void): () => void;
}
