import { describe, expect, it } from 'vitest';
import { DeltaCoalescer } from '../../../renderer/src/lib/deltaCoalescer.ts';

/** A frame clock the test advances by hand. */
function manualFrames() {
  const queue: Array<() => void> = [];
  return {
    schedule: (cb: () => void) => void queue.push(cb),
    frame: () => queue.splice(0).forEach((cb) => cb()),
    get waiting() {
      return queue.length;
    },
  };
}

describe('DeltaCoalescer', () => {
  it('hands many deltas to the UI once per frame, in order', () => {
    const frames = manualFrames();
    const flushed: string[] = [];
    const c = new DeltaCoalescer(frames.schedule, (t) => flushed.push(t));
    for (const d of ['He', 'll', 'o', ',', ' wo']) c.push(d);
    expect(flushed).toEqual([]);
    expect(frames.waiting).toBe(1);
    frames.frame();
    c.push('rld');
    frames.frame();
    expect(flushed).toEqual(['Hello, wo', 'rld']);
  });

  it('schedules nothing for an empty delta or an idle frame', () => {
    const frames = manualFrames();
    const flushed: string[] = [];
    const c = new DeltaCoalescer(frames.schedule, (t) => flushed.push(t));
    c.push('');
    expect(frames.waiting).toBe(0);
    c.push('a');
    c.flush();
    frames.frame();
    expect(flushed).toEqual(['a']);
  });

  it('flushes the tail on close and ignores deltas after it', () => {
    const frames = manualFrames();
    const flushed: string[] = [];
    const c = new DeltaCoalescer(frames.schedule, (t) => flushed.push(t));
    c.push('partial ');
    c.push('answer');
    c.close();
    c.push('late');
    frames.frame();
    expect(flushed).toEqual(['partial answer']);
    expect(c.pending).toBe('');
  });
});
