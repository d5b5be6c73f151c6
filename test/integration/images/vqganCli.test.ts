// The `npm run vqgan` command line on the narrow golden config (512 px, 32×32 codes, 8192-entry
// codebook): exact interface (last stdout line is one JSON object), codes and reconstruction
// against Meta's reference, and a coded error with non-zero exit for every kind of bad input.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, removeTempDirs, tempDir } from '../../unit/images/weightFiles.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../../main/images/vqganCli.ts');
const NARROW = path.join(FIXTURES, 'narrow');
const WEIGHTS = path.join(NARROW, 'weights.safetensors');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

async function cli(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
    const last = stdout.trimEnd().split('\n').at(-1)!;
    return { code: 0, stdout, stderr, json: JSON.parse(last) as Record<string, unknown> };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function i32(file: string): Int32Array {
  const b = readFileSync(file);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function compareCodes(codes: number[], name: string, folder = NARROW): { identical: number; realMismatches: number[] } {
  const ref = i32(path.join(folder, `${name}.codes.i32`));
  const margin = f32(path.join(folder, `${name}.code_margin.f32`));
  expect(codes).toHaveLength(1024);
  let identical = 0;
  const realMismatches: number[] = [];
  codes.forEach((c, i) => {
    if (c === ref[i]) identical++;
    else if (margin[i]! >= 1e-3) realMismatches.push(i);
  });
  return { identical, realMismatches };
}

afterAll(removeTempDirs);

describe('vqgan encode', () => {
  it('--preprocessed on the reference-resized image gives the reference codes wherever the margin is ≥ 1e-3', async () => {
    const r = await cli('encode', '--weights', WEIGHTS, '--image', path.join(NARROW, 'photo.resized.png'), '--preprocessed', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const json = r.json!;
    expect(Object.keys(json)).toEqual(['codes', 'grid', 'backend', 'ms']);
    expect(json['grid']).toEqual([32, 32]);
    expect(json['backend']).toBe('cpu');
    expect(Object.keys(json['ms'] as object)).toEqual(['preprocess', 'encode', 'quantize']);
    const { identical, realMismatches } = compareCodes(json['codes'] as number[], 'photo');
    expect(realMismatches).toEqual([]);
    console.log(`[narrow photo, --preprocessed] identical codes: ${identical}/1024`);
  });

  it('end to end from inputs/photo.jpg with our preprocessing: share of identical codes', async () => {
    const pillow = await cli('encode', '--weights', WEIGHTS, '--image', path.join(FIXTURES, 'inputs', 'photo.jpg'));
    expect(pillow.code, pillow.stderr).toBe(0);
    const p = compareCodes(pillow.json!['codes'] as number[], 'photo');
    const viaSharp = await cli('encode', '--weights', WEIGHTS, '--image', path.join(FIXTURES, 'inputs', 'photo.jpg'), '--resampler', 'sharp');
    expect(viaSharp.code, viaSharp.stderr).toBe(0);
    const s = compareCodes(viaSharp.json!['codes'] as number[], 'photo');
    console.log(`[narrow photo.jpg end to end] identical codes: Pillow-compatible Lanczos ${p.identical}/1024 (${((p.identical / 1024) * 100).toFixed(1)} %), sharp lanczos3 ${s.identical}/1024 (${((s.identical / 1024) * 100).toFixed(1)} %)`);
    // our default preprocessing reproduces the reference's input exactly, so codes agree like the model-only test
    expect(p.realMismatches).toEqual([]);
  });

  it('full-size architecture (full16: F16 weights with subnormals, inferred 128/[1,1,2,2,4]/8192) gives the reference codes', async () => {
    const full16 = path.join(FIXTURES, 'full16');
    const r = await cli('encode', '--weights', path.join(full16, 'weights.safetensors'), '--image', path.join(full16, 'alpha.resized.png'), '--preprocessed');
    expect(r.code, r.stderr).toBe(0);
    const { identical, realMismatches } = compareCodes(r.json!['codes'] as number[], 'alpha', full16);
    expect(realMismatches).toEqual([]);
    console.log(`[full16 alpha, --preprocessed] identical codes: ${identical}/1024`);
  });
});

describe('vqgan decode', () => {
  it('writes a PNG within ±1 of the reference recon.png for ≥ 99.9 % of values', async () => {
    const dir = tempDir('cli-dec');
    const out = path.join(dir, 'photo.png');
    const r = await cli('decode', '--weights', WEIGHTS, '--codes', path.join(NARROW, 'photo.codes.i32'), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!['grid']).toEqual([32, 32]);
    expect(Object.keys(r.json!['ms'] as object)).toEqual(['decode', 'postprocess']);
    const ours = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([ours.info.width, ours.info.height, ours.info.channels]).toEqual([512, 512, 3]);
    const ref = await sharp(path.join(NARROW, 'photo.recon.png')).raw().toBuffer();
    let within = 0;
    let exact = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(ours.data[i]! - ref[i]!);
      if (d <= 1) within++;
      if (d === 0) exact++;
    }
    console.log(`[narrow photo decode] within ±1: ${((within / ref.length) * 100).toFixed(3)} %, identical: ${((exact / ref.length) * 100).toFixed(2)} %`);
    expect(within / ref.length).toBeGreaterThanOrEqual(0.999);

    // JSON codes work too
    const json = path.join(dir, 'codes.json');
    writeFileSync(json, JSON.stringify({ codes: Array.from(i32(path.join(NARROW, 'photo.codes.i32'))) }));
    const again = await cli('decode', '--weights', WEIGHTS, '--codes', json, '--out', path.join(dir, 'again.png'));
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'again.png')).equals(readFileSync(out))).toBe(true);
  });
});

describe('errors: message on stderr, non-zero exit, coded', () => {
  it('reports bad weights, bad images, bad codes and bad usage', async () => {
    const dir = tempDir('cli-err');
    const junk = path.join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not weights');
    const truncatedJpeg = path.join(dir, 'cut.jpg');
    writeFileSync(truncatedJpeg, readFileSync(path.join(FIXTURES, 'inputs', 'photo.jpg')).subarray(0, 5000));
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'hello');
    const empty = path.join(dir, 'empty.png');
    writeFileSync(empty, '');
    const badCodes = path.join(dir, 'bad.json');
    writeFileSync(badCodes, JSON.stringify([1, 2, 3]));
    const image = path.join(FIXTURES, 'inputs', 'gradient.png');

    const cases: [string[], string][] = [
      [['encode', '--weights', path.join(dir, 'missing.safetensors'), '--image', image], 'vqgan.weightsNotFound'],
      [['encode', '--weights', junk, '--image', image], 'vqgan.weightsInvalid'],
      [['encode', '--weights', WEIGHTS, '--image', truncatedJpeg], 'image.corrupt'],
      [['encode', '--weights', WEIGHTS, '--image', text], 'image.unsupported'],
      [['encode', '--weights', WEIGHTS, '--image', empty], 'image.empty'],
      [['encode', '--weights', WEIGHTS, '--image', image, '--preprocessed'], 'image.unsupported'],
      [['decode', '--weights', WEIGHTS, '--codes', badCodes, '--out', path.join(dir, 'x.png')], 'vqgan.badCodes'],
      [['encode', '--weights', WEIGHTS, '--config', path.join(dir, 'absent.yaml'), '--image', image], 'vqgan.configInvalid'],
    ];
    for (const [args, code] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.startsWith(`${code}: `), `${args.join(' ')} → ${r.stderr}`).toBe(true);
    }
    const usage = await cli('encode', '--weights', WEIGHTS);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--image is required');
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('encode', '--weights', WEIGHTS, '--image', image, '--backend', 'tpu')).code).toBe(2);
  });
});
