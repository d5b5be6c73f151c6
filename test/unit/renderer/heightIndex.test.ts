import { describe, expect, it } from 'vitest';
import { HeightIndex } from '../../../renderer/src/lib/heightIndex.ts';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** The obvious O(n) answer, to check the Fenwick tree against. */
function naiveIndexAt(heights: number[], y: number): number {
  let top = 0;
  for (let i = 0; i < heights.length; i++) {
    if (y < top + heights[i]!) return i;
    top += heights[i]!;
  }
  return heights.length - 1;
}

describe('HeightIndex', () => {
  it('starts every row at the estimate', () => {
    const h = new HeightIndex(50);
    h.setKeys(range(10));
    expect(h.total).toBe(500);
    expect(h.offsetOf(3)).toBe(150);
    expect(h.indexAt(149)).toBe(2);
    expect(h.indexAt(150)).toBe(3);
    expect(h.indexAt(10_000)).toBe(9);
    expect(h.indexAt(-5)).toBe(0);
  });

  it('matches a naive scan after many random measurements', () => {
    const n = 1000;
    const h = new HeightIndex(40);
    h.setKeys(range(n));
    const heights = new Array<number>(n).fill(40);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 3000; k++) {
      const i = Math.floor(rand() * n);
      const v = Math.round(rand() * 600);
      const delta = h.setHeight(i, v);
      expect(delta).toBe(v - heights[i]!);
      heights[i] = v;
    }
    const total = heights.reduce((a, b) => a + b, 0);
    expect(h.total).toBe(total);
    for (let k = 0; k < 500; k++) {
      const i = Math.floor(rand() * n);
      expect(h.offsetOf(i)).toBe(heights.slice(0, i).reduce((a, b) => a + b, 0));
      const y = rand() * total;
      expect(h.indexAt(y)).toBe(naiveIndexAt(heights, y));
    }
  });

  it('returns the rows in view plus overscan', () => {
    const h = new HeightIndex(100);
    h.setKeys(range(100));
    expect(h.visibleRange(1000, 300, 0)).toEqual({ start: 10, end: 14 });
    expect(h.visibleRange(1000, 300, 200)).toEqual({ start: 8, end: 16 });
    expect(h.visibleRange(0, 300, 200)).toEqual({ start: 0, end: 6 });
    expect(h.visibleRange(9900, 300, 0)).toEqual({ start: 99, end: 100 });
    expect(new HeightIndex(10).visibleRange(0, 100, 0)).toEqual({ start: 0, end: 0 });
  });

  it('keeps measured heights and the scroll anchor when older rows are paged in above', () => {
    const h = new HeightIndex(50);
    h.setKeys(range(50, 100));
    h.setHeight(110, 300);
    const anchor = h.anchorAt(h.offsetOf(h.indexOf(110)) + 20)!;
    expect(anchor).toEqual({ key: 110, offset: 20 });
    h.setKeys([...range(50, 50), ...range(50, 100)]);
    expect(h.heightAt(h.indexOf(110))).toBe(300);
    // 50 new rows of 50 px above: the same row is now 2500 px lower.
    expect(h.scrollTopFor(anchor)).toBe(2500 + 10 * 50 + 20);
    expect(h.scrollTopFor({ key: 'gone', offset: 0 })).toBeNull();
  });

  it('ignores measurements of rows it does not hold, but remembers them', () => {
    const h = new HeightIndex(20);
    h.setKeys([1, 2]);
    expect(h.setHeight(3, 99)).toBe(0);
    expect(h.total).toBe(40);
    h.setKeys([1, 2, 3]);
    expect(h.total).toBe(139);
  });

  it('handles a 10 000-row chat', () => {
    const h = new HeightIndex(80);
    h.setKeys(range(10_000));
    expect(h.total).toBe(800_000);
    expect(h.visibleRange(400_000, 600, 0)).toEqual({ start: 5000, end: 5008 });
  });
});
