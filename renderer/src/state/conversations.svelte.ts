// The sidebar's data: the conversation list (newest first, keyset-paged), the pinned chats above
// it, the Archived view, and full-text search.
import type { ConversationSummary, SearchHit } from '../../../main/contract/chat.ts';
import type { ApiClient } from '../../../main/contract/apiClient.ts';
import type { Toasts } from './toasts.svelte.ts';

export class ConversationsStore {
  #items = $state.raw<ConversationSummary[]>([]);
  #pinned = $state.raw<ConversationSummary[]>([]);
  /** The Archived view replaces the list while shown. */
  #showArchived = $state(false);
  #archived = $state.raw<ConversationSummary[]>([]);
  #archivedCursor: string | undefined;
  #archivedHasMore = $state(false);
  #cursor: string | undefined;
  #hasMore = $state(false);
  #query = $state('');
  #hits = $state.raw<SearchHit[]>([]);
  #searching = $state(false);
  /** Conversation whose title is being edited in place. */
  #renamingId = $state<number | undefined>(undefined);

  readonly #client: ApiClient;
  readonly #toasts: Toasts;
  #searchSeq = 0;

  constructor(client: ApiClient, toasts: Toasts) {
    this.#client = client;
    this.#toasts = toasts;
  }

  get items(): ConversationSummary[] {
    return this.#items;
  }
  get hasMore(): boolean {
    return this.#hasMore;
  }
  /** Pinned chats, for the top of the sidebar (they are left out of its date groups). */
  get pinned(): ConversationSummary[] {
    return this.#pinned;
  }
  /** A chat's summary from whichever list holds it (the list, the pinned group, the Archived view). */
  find(id: number | undefined): ConversationSummary | undefined {
    if (id === undefined) return undefined;
    return this.#items.find((c) => c.id === id) ?? this.#pinned.find((c) => c.id === id) ?? this.#archived.find((c) => c.id === id);
  }
  get showArchived(): boolean {
    return this.#showArchived;
  }
  get archived(): ConversationSummary[] {
    return this.#archived;
  }
  get archivedHasMore(): boolean {
    return this.#archivedHasMore;
  }
  get query(): string {
    return this.#query;
  }
  get hits(): SearchHit[] {
    return this.#hits;
  }
  get searching(): boolean {
    return this.#searching;
  }
  get renamingId(): number | undefined {
    return this.#renamingId;
  }
  /** What the search box shows while the (debounced) search has not run yet. */
  setQuery(query: string): void {
    this.#query = query;
  }
  startRenaming(id: number): void {
    this.#renamingId = id;
  }
  stopRenaming(): void {
    this.#renamingId = undefined;
  }

  async refresh(): Promise<void> {
    const [page, pinned] = await Promise.all([this.#client.call('chats.list', { limit: 100 }), this.#client.call('chats.pinned', {})]);
    this.#items = page.items;
    this.#pinned = pinned;
    this.#cursor = page.nextCursor;
    this.#hasMore = page.nextCursor !== undefined;
    if (this.#showArchived) await this.#loadArchived();
  }

  /** Show (or leave) the Archived view. */
  async toggleArchived(show = !this.#showArchived): Promise<void> {
    this.#showArchived = show;
    if (show) await this.#loadArchived();
  }

  async loadMoreArchived(): Promise<void> {
    if (!this.#archivedCursor) return;
    const page = await this.#client.call('chats.list', { archived: true, cursor: this.#archivedCursor, limit: 100 });
    this.#archived = [...this.#archived, ...page.items];
    this.#archivedCursor = page.nextCursor;
    this.#archivedHasMore = page.nextCursor !== undefined;
  }

  async #loadArchived(): Promise<void> {
    const page = await this.#client.call('chats.list', { archived: true, limit: 100 });
    this.#archived = page.items;
    this.#archivedCursor = page.nextCursor;
    this.#archivedHasMore = page.nextCursor !== undefined;
  }

  async setPinned(id: number, pinned: boolean): Promise<void> {
    this.replace(await this.#client.call('chats.setPinned', { id, pinned }));
  }

  async setArchived(id: number, archived: boolean): Promise<void> {
    const c = await this.#client.call('chats.setArchived', { id, archived });
    this.replace(c);
    if (this.#showArchived) await this.#loadArchived();
  }

  /** A chat's new summary (pinned, archived, instructions …) in every list it belongs to. */
  replace(c: ConversationSummary): void {
    this.#pinned = c.pinned ? [c, ...this.#pinned.filter((x) => x.id !== c.id)].sort((a, b) => b.updatedAt - a.updatedAt || b.id - a.id) : this.#pinned.filter((x) => x.id !== c.id);
    this.#archived = this.#archived.filter((x) => x.id !== c.id || c.archived).map((x) => (x.id === c.id ? c : x));
    if (c.archived) this.#items = this.#items.filter((x) => x.id !== c.id);
    else if (this.#items.some((x) => x.id === c.id)) this.#items = this.#items.map((x) => (x.id === c.id ? c : x));
    else this.upsert(c);
  }

  async loadMore(): Promise<void> {
    if (!this.#cursor) return;
    const page = await this.#client.call('chats.list', { cursor: this.#cursor, limit: 100 });
    // A local lookup, not state: SvelteSet's reactivity would be wasted here.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const known = new Set(this.#items.map((c) => c.id));
    this.#items = [...this.#items, ...page.items.filter((c) => !known.has(c.id))];
    this.#cursor = page.nextCursor;
    this.#hasMore = page.nextCursor !== undefined;
  }

  /** Put a changed conversation in its place (newest first) without refetching the list. */
  upsert(c: ConversationSummary): void {
    const rest = this.#items.filter((x) => x.id !== c.id);
    const i = rest.findIndex((x) => x.updatedAt < c.updatedAt || (x.updatedAt === c.updatedAt && x.id < c.id));
    this.#items = i < 0 ? [...rest, c] : [...rest.slice(0, i), c, ...rest.slice(i)];
  }

  async create(): Promise<ConversationSummary> {
    const c = await this.#client.call('chats.create', {});
    this.upsert(c);
    return c;
  }

  async rename(id: number, title: string): Promise<void> {
    this.#renamingId = undefined;
    // An empty title goes back to the one derived from the first message.
    const trimmed = title.trim();
    const current = [...this.#items, ...this.#archived].find((c) => c.id === id);
    if (trimmed === current?.title) return;
    const updated = await this.#client.call('chats.rename', { id, title: trimmed });
    this.replace(updated);
  }

  /** Delete now (soft, in main) and offer an undo that restores it. */
  async remove(id: number, onRemoved: () => void): Promise<void> {
    const removed = [...this.#items, ...this.#archived].find((c) => c.id === id);
    await this.#client.call('chats.delete', { id });
    this.#items = this.#items.filter((c) => c.id !== id);
    this.#pinned = this.#pinned.filter((c) => c.id !== id);
    this.#archived = this.#archived.filter((c) => c.id !== id);
    onRemoved();
    this.#toasts.show(`Deleted “${removed?.title || 'New chat'}”`, {
      actionLabel: 'Undo',
      action: () => {
        void this.#client.call('chats.restore', { id }).then((c) => this.replace(c));
      },
      ms: 8000,
    });
  }

  async search(query: string): Promise<void> {
    this.#query = query;
    const seq = ++this.#searchSeq;
    if (query.trim() === '') {
      this.#hits = [];
      this.#searching = false;
      return;
    }
    this.#searching = true;
    try {
      const hits = await this.#client.call('chats.search', { query, limit: 30 });
      // An older, slower query must not overwrite a newer one's results.
      if (seq === this.#searchSeq) this.#hits = hits;
    } finally {
      if (seq === this.#searchSeq) this.#searching = false;
    }
  }
}

/** A chat's name in the list: its title, or a placeholder until the first message names it. */
export function displayTitle(c: Pick<ConversationSummary, 'title'>): string {
  return c.title.trim() || 'New chat';
}
