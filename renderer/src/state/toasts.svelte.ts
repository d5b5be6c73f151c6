// Short-lived notices at the bottom of the window; one may carry an action (e.g. "Undo").

export interface Toast {
  id: number;
  text: string;
  actionLabel?: string;
  action?: () => void;
}

export class Toasts {
  items = $state.raw<Toast[]>([]);
  #next = 1;
  // Timer handles are bookkeeping, not UI state.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(text: string, opts: { actionLabel?: string; action?: () => void; ms?: number; onExpire?: () => void } = {}): number {
    const id = this.#next++;
    this.items = [...this.items, { id, text, actionLabel: opts.actionLabel, action: opts.action }];
    this.#timers.set(
      id,
      setTimeout(() => {
        this.dismiss(id);
        opts.onExpire?.();
      }, opts.ms ?? 6000),
    );
    return id;
  }

  /** Run a toast's action and remove it without firing its expiry. */
  act(id: number): void {
    const toast = this.items.find((t) => t.id === id);
    this.dismiss(id);
    toast?.action?.();
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }

  dispose(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
