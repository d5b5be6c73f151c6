// The exact token ids of recent answers, by text (see promptBuilder's AnswerTokenLookup): lets a
// follow-up prompt repeat the sampled ids so the whole previous exchange stays in the KV cache.
export class AnswerCache {
  readonly #max: number;
  readonly #map = new Map<string, readonly number[]>();

  constructor(max = 64) {
    this.#max = max;
  }

  get(text: string): readonly number[] | undefined {
    const hit = this.#map.get(text);
    if (hit) {
      this.#map.delete(text);
      this.#map.set(text, hit);
    }
    return hit;
  }

  set(text: string, tokens: readonly number[]): void {
    if (text === '' || tokens.length === 0) return;
    this.#map.delete(text);
    this.#map.set(text, [...tokens]);
    while (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }

  clear(): void {
    this.#map.clear();
  }
}
