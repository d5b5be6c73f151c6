// The virtual message list's geometry. Messages have very different heights (one line vs a page of
// code), known only after they render, so each row starts at an estimate and is corrected when
// measured. A Fenwick tree over the heights makes "where does row i start" and "which row is at
// pixel y" O(log n), so a 10 000-message chat costs the same per frame as a 10-message one.

export type RowKey = string | number;

export interface RowRange {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
}

/** A scroll position expressed relative to a row, which survives rows being added above it. */
export interface ScrollAnchor {
  key: RowKey;
  /** Pixels from the row's top to the viewport's top (may be negative). */
  offset: number;
}

export class HeightIndex {
  readonly #estimate: number;
  #keys: RowKey[] = [];
  #position = new Map<RowKey, number>();
  #heights = new Float64Array(0);
  #tree = new Float64Array(1);
  /** Measured heights survive setKeys, so paging in older rows keeps what was measured. */
  readonly #measured = new Map<RowKey, number>();

  constructor(estimate: number) {
    if (!(estimate > 0)) throw new RangeError('the height estimate must be positive');
    this.#estimate = estimate;
  }

  get count(): number {
    return this.#keys.length;
  }

  get total(): number {
    return this.prefix(this.#keys.length);
  }

  keyAt(index: number): RowKey | undefined {
    return this.#keys[index];
  }

  indexOf(key: RowKey): number {
    return this.#position.get(key) ?? -1;
  }

  heightAt(index: number): number {
    return this.#heights[index] ?? 0;
  }

  /** Replace the row list (paging, a new branch); O(n). */
  setKeys(keys: readonly RowKey[]): void {
    const n = keys.length;
    this.#keys = [...keys];
    this.#position = new Map(keys.map((k, i) => [k, i]));
    this.#heights = new Float64Array(n);
    this.#tree = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const h = this.#measured.get(keys[i]!) ?? this.#estimate;
      this.#heights[i] = h;
      this.#tree[i + 1] = h;
    }
    // Linear-time Fenwick build: push each node's sum to its parent.
    for (let i = 1; i <= n; i++) {
      const parent = i + (i & -i);
      if (parent <= n) this.#tree[parent]! += this.#tree[i]!;
    }
  }

  /** Record a measured height; returns how much the row grew (negative: shrank). */
  setHeight(key: RowKey, height: number): number {
    const h = Math.max(0, height);
    this.#measured.set(key, h);
    const i = this.#position.get(key);
    if (i === undefined) return 0;
    const delta = h - this.#heights[i]!;
    if (delta === 0) return 0;
    this.#heights[i] = h;
    for (let j = i + 1; j < this.#tree.length; j += j & -j) this.#tree[j]! += delta;
    return delta;
  }

  /** Sum of the heights of rows [0, count). */
  prefix(count: number): number {
    let sum = 0;
    for (let j = Math.min(count, this.#keys.length); j > 0; j -= j & -j) sum += this.#tree[j]!;
    return sum;
  }

  /** Top pixel of a row. */
  offsetOf(index: number): number {
    return this.prefix(index);
  }

  /** The row covering pixel y (clamped to the list). */
  indexAt(y: number): number {
    const n = this.#keys.length;
    if (n === 0) return 0;
    if (y <= 0) return 0;
    // Fenwick descent: the largest count whose prefix sum is <= y is the row that contains y.
    let pos = 0;
    let remaining = y;
    for (let step = 1 << Math.floor(Math.log2(n)); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && this.#tree[next]! <= remaining) {
        pos = next;
        remaining -= this.#tree[next]!;
      }
    }
    return Math.min(pos, n - 1);
  }

  /** The rows that intersect [scrollTop, scrollTop + viewport], widened by overscan pixels. */
  visibleRange(scrollTop: number, viewport: number, overscan: number): RowRange {
    const n = this.#keys.length;
    if (n === 0) return { start: 0, end: 0 };
    const start = this.indexAt(scrollTop - overscan);
    const end = Math.min(n, this.indexAt(scrollTop + viewport + overscan) + 1);
    return { start, end };
  }

  anchorAt(scrollTop: number): ScrollAnchor | null {
    if (this.#keys.length === 0) return null;
    const i = this.indexAt(scrollTop);
    return { key: this.#keys[i]!, offset: scrollTop - this.offsetOf(i) };
  }

  /** The scrollTop that puts the anchored row back where it was; null when the row is gone. */
  scrollTopFor(anchor: ScrollAnchor): number | null {
    const i = this.indexOf(anchor.key);
    return i < 0 ? null : this.offsetOf(i) + anchor.offset;
  }
}
