// The sidebar's date headings: chats (newest first) under Today, Yesterday, Previous 7 days,
// Previous 30 days, then one heading per month. Pure, with `now` injected, so it is unit-tested.

export interface DateGroup<T> {
  label: string;
  items: T[];
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function groupLabel(ms: number, now: number): string {
  const today = startOfDay(now);
  const day = 86_400_000;
  if (ms >= today) return 'Today';
  if (ms >= today - day) return 'Yesterday';
  if (ms >= today - 7 * day) return 'Previous 7 days';
  if (ms >= today - 30 * day) return 'Previous 30 days';
  const d = new Date(ms);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString('en-US', sameYear ? { month: 'long' } : { month: 'long', year: 'numeric' });
}

/** Consecutive items with the same label share a group; the input order is kept. */
export function groupByDate<T>(items: readonly T[], when: (item: T) => number, now: number): DateGroup<T>[] {
  const groups: DateGroup<T>[] = [];
  for (const item of items) {
    const label = groupLabel(when(item), now);
    const last = groups.at(-1);
    if (last?.label === label) last.items.push(item);
    else groups.push({ label, items: [item] });
  }
  return groups;
}
