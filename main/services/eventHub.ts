// Where main publishes api.ts events; each transport connection subscribes while it is open.
import type { AnyEvent, EventName, EventPayload } from '../contract/api.ts';

export class EventHub {
  readonly #listeners = new Set<(event: AnyEvent) => void>();

  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const event = { name, payload } as AnyEvent;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // One broken subscriber (a closed window) must not stop the others.
      }
    }
  }

  subscribe(listener: (event: AnyEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  clear(): void {
    this.#listeners.clear();
  }
}
