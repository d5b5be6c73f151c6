// Our preprocessing against Pillow itself (Debian's python3-pil, Pillow 9.4 as in Meta's reference;
// .ci/run installs it), not only against fixture bytes: the Lanczos resize on many random sizes
// and scale factors, up and down, odd and even, and decoding real-photo-like files that carry an
// ICC profile. Exact equality throughout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { resizeLanczosPillow } from '../../../main/images/pillowLanczos.ts';
import { decodeWhitened, preprocessImage } from '../../../main/images/preprocess.ts';
import { SeededRandom } from '../../fixtures/gguf/seededRandom.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'pillowReference.py');
const dir = mkdtempSync(join(tmpdir(), 'chameleon-pillow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Job = { op: 'resize'; src: string; w: number; h: number; ow: number; oh: number; out: string } | { op: 'decode' | 'vqgan'; src: string; t?: number; out: string };

/** Runs every job in one Python process and returns each output's bytes. */
function pillow(jobs: Job[]): Buffer[] {
  const list = join(dir, `jobs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(list, JSON.stringify(jobs));
  try {
    execFileSync(PYTHON, [SCRIPT, list], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`Pillow (Debian's python3-pil) is needed for this test: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
  return jobs.map((j) => readFileSync(j.out));
}

/** How many bytes differ, and by how much on average: a failure says how far off, not only that. */
function difference(ours: Uint8Array, ref: Uint8Array): { differing: number; mean: number } {
  expect(ours.length).toBe(ref.length);
  let differing = 0;
  let sum = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    if (d) differing++;
    sum += d;
  }
  return { differing, mean: sum / ref.length };
}

const noise = (n: number, next: () => number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));

/** A smooth photo-like picture (gradients and edges) plus a little noise: JPEG keeps it close. */
function photoLike(w: number, h: number): Buffer {
  const rng = new SeededRandom(7);
  const next = (): number => rng.next();
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      raw[i] = (x * 255) / w;
      raw[i + 1] = (y * 255) / h;
      raw[i + 2] = ((x >> 4) ^ (y >> 4)) & 1 ? 200 : 40 + next() * 20;
    }
  return raw;
}

describe('preprocessing against Pillow', () => {
  it('resizes exactly like Pillow LANCZOS on 120 random sizes and scale factors', () => {
    const rng = new SeededRandom(20261201);
    const next = (): number => rng.next();
    const size = (max: number): number => 1 + Math.floor(next() * max);
    const shapes: [number, number, number, number][] = [
      [640, 427, 767, 512], // the real photo of issue 10: upscaled before the crop
      [600, 400, 768, 512],
      [1000, 300, 1707, 512],
      [1, 1, 7, 3],
      [513, 512, 512, 512],
      [3, 700, 1, 40],
    ];
    for (let i = 0; i < 114; i++) {
      const w = size(i % 3 === 0 ? 40 : 300);
      const h = size(i % 4 === 0 ? 40 : 300);
      // up, down, mixed and near-1 factors, odd and even sizes
      const factor = (): number => [0.25, 0.5, 0.999, 1.001, 1.2, 2, 3.7][Math.floor(next() * 7)]! * (0.9 + next() * 0.2);
      shapes.push([w, h, Math.max(1, Math.round(w * factor()) + (i & 1)), Math.max(1, Math.round(h * factor()))]);
    }
    const sources = shapes.map(([w, h]) => noise(w * h * 3, next));
    const jobs: Job[] = shapes.map(([w, h, ow, oh], i) => {
      const src = join(dir, `resize-${i}.raw`);
      writeFileSync(src, sources[i]!);
      return { op: 'resize', src, w, h, ow, oh, out: join(dir, `resize-${i}.out`) };
    });
    const refs = pillow(jobs);
    const off = shapes
      .map(([w, h, ow, oh], i) => ({ shape: `${w}x${h}->${ow}x${oh}`, ...difference(resizeLanczosPillow(sources[i]!, w, h, 3, ow, oh), refs[i]!) }))
      .filter((d) => d.differing > 0);
    expect(off).toEqual([]);
  });

  it('decodes a photo with an embedded ICC profile as Pillow does: the profile is not applied (issue 10)', async () => {
    // Phones embed Display P3: sharp converted it to sRGB, Pillow (the reference) ignores it, and
    // a 640x427 photo came out a mean of 5–11 levels off, changing most codes.
    const raw = photoLike(640, 427);
    const files = {
      'p3.jpg': await sharp(raw, { raw: { width: 640, height: 427, channels: 3 } }).withIccProfile('p3').jpeg({ quality: 92 }).toBuffer(),
      'plain.jpg': await sharp(raw, { raw: { width: 640, height: 427, channels: 3 } }).jpeg({ quality: 92 }).toBuffer(),
      'p3-alpha.png': await sharp(raw, { raw: { width: 640, height: 427, channels: 3 } })
        .ensureAlpha(0.5)
        .withIccProfile('p3')
        .png()
        .toBuffer(),
    };
    const names = Object.keys(files) as (keyof typeof files)[];
    const jobs: Job[] = names.flatMap((name) => {
      const src = join(dir, name);
      writeFileSync(src, files[name]);
      return [
        { op: 'decode' as const, src, out: `${src}.decoded` },
        { op: 'vqgan' as const, src, t: 512, out: `${src}.vqgan` },
      ];
    });
    const refs = pillow(jobs);
    for (const [i, name] of names.entries()) {
      const decoded = await decodeWhitened(files[name]);
      expect(difference(decoded.data, refs[2 * i]!), `${name} decoded`).toEqual({ differing: 0, mean: 0 });
      const { rgb } = await preprocessImage(files[name], { resolution: 512 });
      expect(difference(rgb.data, refs[2 * i + 1]!), `${name} resized and cropped`).toEqual({ differing: 0, mean: 0 });
    }
  });
});
