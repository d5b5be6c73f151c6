import { describe, expect, it } from 'vitest';
import { parseContextSize, parseThreads } from '../../../renderer/src/lib/settingsForm.ts';
import { differingKeys, fieldRange, parseField, parseSampling, parseStops, toTexts } from '../../../renderer/src/lib/samplingForm.ts';

describe('settings fields as typed (issue 15, defect 1)', () => {
  it('reads a number input whose value is a number, a string or empty', () => {
    expect(parseThreads(2)).toEqual({ value: 2 });
    expect(parseThreads('3')).toEqual({ value: 3 });
    expect(parseThreads(null)).toEqual({});
    expect(parseThreads('')).toEqual({});
    expect(parseThreads(0).error).toContain('1 to 256');
    expect(parseThreads(2.5).error).toBeDefined();
    expect(parseContextSize(null).error).toContain('Enter');
    expect(parseContextSize(32).error).toContain('64');
  });
});

describe('sampling fields (issue 15, defect 6)', () => {
  it('says each range in words, from the contract', () => {
    expect(fieldRange('temperature')).toBe('0 to 10');
    expect(fieldRange('topP')).toBe('more than 0, up to 1');
    expect(fieldRange('maxTokens')).toBe('a whole number from 1');
  });

  it('marks empty and out-of-range values, and lets an empty seed mean random', () => {
    expect(parseField('temperature', '').error).toBe('Enter 0 to 10.');
    expect(parseField('temperature', '42').error).toBe('Must be 0 to 10.');
    expect(parseField('topK', '1.5').error).toBeDefined();
    expect(parseField('seed', '')).toEqual({});
    expect(parseField('seed', '7')).toEqual({ value: 7 });
    const { values, errors } = parseSampling({ temperature: '0.5', maxTokens: 'x', stop: 'END\n\n###' }, ['temperature', 'maxTokens']);
    expect(values).toEqual({ temperature: 0.5, stop: ['END', '###'] });
    expect(Object.keys(errors)).toEqual(['maxTokens']);
  });

  it('offers min-p with its range from the contract; empty means off', () => {
    expect(fieldRange('minP')).toBe('0 to 1');
    expect(parseField('minP', '')).toEqual({});
    expect(parseField('minP', '0.05')).toEqual({ value: 0.05 });
    expect(parseField('minP', '1.5').error).toBe('Must be 0 to 1.');
    expect(differingKeys({ minP: 0.05 }, { temperature: 0.7 })).toEqual(['minP']);
  });

  it('round-trips values through the text fields and finds what differs from the defaults', () => {
    const texts = toTexts({ temperature: 0.7, seed: 3, stop: ['a', 'b'] });
    expect(texts.temperature).toBe('0.7');
    expect(texts.topP).toBe('');
    expect(parseStops(texts.stop!)).toEqual(['a', 'b']);
    expect(differingKeys({ temperature: 0.7, seed: 3, stop: [] }, { temperature: 0.7 })).toEqual(['seed']);
    expect(differingKeys(undefined, { temperature: 0.7 })).toEqual([]);
  });
});
