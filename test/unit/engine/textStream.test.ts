import { describe, expect, it } from 'vitest';
import { IncrementalDecoder, StopStringMatcher } from '../../../main/engine/textStream.ts';

// Byte-level tokens: each token is one byte, detokenized the way llama.cpp does it (invalid or
// incomplete UTF-8 becomes U+FFFD).
const utf8 = new TextDecoder('utf-8', { fatal: false });
const detokenizeBytes = (tokens: number[]): string => utf8.decode(Uint8Array.from(tokens));

describe('IncrementalDecoder', () => {
  it('never splits a multi-byte character across deltas', () => {
    const text = 'añ€😀 ok';
    const decoder = new IncrementalDecoder(detokenizeBytes);
    const deltas = [...new TextEncoder().encode(text)].map((b) => decoder.push(b));
    deltas.push(decoder.flush());
    expect(deltas.join('')).toBe(text);
    expect(deltas.some((d) => d.includes('\uFFFD'))).toBe(false);
    expect(deltas.filter((d) => d !== '')).toEqual(['a', 'ñ', '€', '😀', ' ', 'o', 'k']);
  });

  it('gives up on bytes that never complete a character instead of stalling', () => {
    const decoder = new IncrementalDecoder(detokenizeBytes);
    const out = [0xff, 0xfe, 0xfd, 0xfc].map((b) => decoder.push(b)).join('') + decoder.flush();
    expect(out).toContain('\uFFFD');
  });
});

describe('StopStringMatcher', () => {
  it('cuts at a stop string split over several pushes and never emits part of it', () => {
    const m = new StopStringMatcher(['\nUser:']);
    const pieces = ['Hello', ' there\n', 'Us', 'er: next'];
    const emitted: string[] = [];
    let stopped = false;
    for (const p of pieces) {
      const r = m.push(p);
      emitted.push(r.emit);
      if (r.stopped) {
        stopped = true;
        break;
      }
    }
    expect(stopped).toBe(true);
    expect(emitted.join('')).toBe('Hello there');
    expect(emitted.join('')).not.toContain('\n');
  });

  it('releases held text that turned out not to be a stop string', () => {
    const m = new StopStringMatcher(['STOP']);
    expect(m.push('abc ST')).toEqual({ emit: 'abc ', stopped: false });
    expect(m.push('AR')).toEqual({ emit: 'STAR', stopped: false });
    expect(m.push('S')).toEqual({ emit: '', stopped: false });
    expect(m.flush()).toBe('S');
  });

  it('passes everything through without stop strings', () => {
    const m = new StopStringMatcher();
    expect(m.push('anything')).toEqual({ emit: 'anything', stopped: false });
  });
});
