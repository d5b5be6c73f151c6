import { describe, expect, it } from 'vitest';
import { groupByDate, groupLabel } from '../../../renderer/src/lib/dateGroups.ts';

const now = new Date(2026, 11, 1, 15, 0).getTime();
const at = (y: number, m: number, d: number, h = 12) => new Date(y, m, d, h).getTime();

describe('date groups of the chat list', () => {
  it('labels today, yesterday, the last week and month, then months', () => {
    expect(groupLabel(at(2026, 11, 1, 9), now)).toBe('Today');
    expect(groupLabel(at(2026, 10, 30), now)).toBe('Yesterday');
    expect(groupLabel(at(2026, 10, 27), now)).toBe('Previous 7 days');
    expect(groupLabel(at(2026, 10, 10), now)).toBe('Previous 30 days');
    expect(groupLabel(at(2026, 5, 10), now)).toBe('June');
    expect(groupLabel(at(2025, 5, 10), now)).toBe('June 2025');
  });

  it('keeps the order and puts neighbours with one label together', () => {
    const items = [at(2026, 11, 1), at(2026, 11, 1, 8), at(2026, 10, 30), at(2026, 5, 2)];
    const groups = groupByDate(items, (x) => x, now);
    expect(groups.map((g) => [g.label, g.items.length])).toEqual([['Today', 2], ['Yesterday', 1], ['June', 1]]);
  });
});
