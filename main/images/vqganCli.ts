// `npm run vqgan -- <encode|decode|bench> …`: the VQ-GAN tokenizer from the command line, for
// tests and benchmarks. The LAST stdout line is always exactly one JSON object; errors go to
// stderr as "<code>: <message>" with a non-zero exit status (2 for usage errors).
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { NativeBackendChoice } from './vqgan/nativeAddon.ts';
import { VqganTokenizer } from './vqgan/vqgan.ts';
import type { OpenOptions } from './vqgan/vqgan.ts';

const USAGE = `usage:
  vqgan encode --weights <file|dir> [--config <file>] --image <file> [--preprocessed] [--resampler pillow|sharp] [--threads N] [--backend auto|cpu|gpu]
  vqgan decode --weights <file|dir> [--config <file>] --codes <file.i32|file.json> --out <file.png> [--threads N] [--backend auto|cpu|gpu]
  vqgan bench  --weights <file|dir> [--config <file>] [--image <file>] [--runs N] [--threads N] [--backend auto|cpu|gpu]`;

class UsageError extends Error {}

const round = (ms: number) => Math.round(ms * 10) / 10;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function peakRssMb(): number {
  // maxRSS is in KiB on every platform Node supports
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function openOptions(v: Record<string, string | boolean | undefined>): OpenOptions {
  const opts: OpenOptions = {};
  if (typeof v['config'] === 'string') opts.config = v['config'];
  const backend = v['backend'] ?? 'auto';
  if (backend !== 'auto' && backend !== 'cpu' && backend !== 'gpu') throw new UsageError(`--backend must be auto, cpu or gpu (got ${String(backend)})`);
  opts.backend = backend as NativeBackendChoice;
  if (v['threads'] !== undefined) {
    const n = Number(v['threads']);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('--threads must be a positive integer');
    opts.threads = n;
  }
  return opts;
}

function required(v: Record<string, string | boolean | undefined>, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Codes from a raw little-endian int32 file or JSON (an array, or an object with `codes`). */
export async function readCodes(file: string): Promise<Int32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new AppError('vqgan.badCodes', `Cannot read the codes file ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (file.endsWith('.i32')) {
    if (bytes.length % 4 !== 0) throw new AppError('vqgan.badCodes', `${file} is not a whole number of int32 values.`, { file });
    const out = new Int32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt32LE(i * 4);
    return out;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AppError('vqgan.badCodes', `${file} is neither a .i32 file nor JSON.`, { file });
  }
  const list = Array.isArray(doc) ? doc : (doc as { codes?: unknown } | null)?.codes;
  if (!Array.isArray(list) || !list.every((c) => Number.isInteger(c))) throw new AppError('vqgan.badCodes', `${file} holds no list of integer codes.`, { file });
  return Int32Array.from(list as number[]);
}

async function encode(v: Record<string, string | boolean | undefined>): Promise<unknown> {
  const image = required(v, 'image');
  const resampler = v['resampler'] ?? 'pillow';
  if (resampler !== 'pillow' && resampler !== 'sharp') throw new UsageError('--resampler must be pillow or sharp');
  const tok = await VqganTokenizer.open(required(v, 'weights'), openOptions(v));
  try {
    const out = await tok.encodeImage(image, { preprocessed: v['preprocessed'] === true, resampler });
    return { codes: Array.from(out.codes), grid: out.grid, backend: out.backend, ms: { preprocess: round(out.ms.preprocess), encode: round(out.ms.encode), quantize: round(out.ms.quantize) } };
  } finally {
    tok.dispose();
  }
}

async function decode(v: Record<string, string | boolean | undefined>): Promise<unknown> {
  const codes = await readCodes(required(v, 'codes'));
  const outFile = required(v, 'out');
  const tok = await VqganTokenizer.open(required(v, 'weights'), openOptions(v));
  try {
    const out = await tok.decodeToPng(codes);
    await writeFile(outFile, out.png);
    return { out: outFile, grid: tok.grid, backend: out.backend, ms: { decode: round(out.ms.decode), postprocess: round(out.ms.postprocess) } };
  } finally {
    tok.dispose();
  }
}

/** A smooth, deterministic test image in [-1, 1] when no --image is given. */
function syntheticPixels(r: number): Float32Array {
  const plane = r * r;
  const px = new Float32Array(plane * 3);
  for (let y = 0; y < r; y++) {
    for (let x = 0; x < r; x++) {
      const i = y * r + x;
      px[i] = Math.sin(x / 23) * Math.cos(y / 31);
      px[plane + i] = (2 * x) / r - 1;
      px[2 * plane + i] = Math.cos((x + y) / 17) * 0.8;
    }
  }
  return px;
}

async function bench(v: Record<string, string | boolean | undefined>): Promise<unknown> {
  const runs = v['runs'] === undefined ? 3 : Number(v['runs']);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--runs must be a positive integer');
  const rssBefore = peakRssMb();
  const tok = await VqganTokenizer.open(required(v, 'weights'), openOptions(v));
  try {
    const r = tok.arch.resolution;
    const image = typeof v['image'] === 'string' ? v['image'] : undefined;
    const encodeMs: number[] = [];
    const decodeMs: number[] = [];
    const preprocessMs: number[] = [];
    let codes: Int32Array = new Int32Array(0);
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = image ? await tok.encodeImage(image) : await tok.encodePixels(syntheticPixels(r));
      encodeMs.push(performance.now() - t0 - out.ms.preprocess);
      preprocessMs.push(out.ms.preprocess);
      codes = out.codes;
    }
    const rssAfterEncode = peakRssMb();
    if (tok.arch.hasDecoder) {
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await tok.decodeToPng(codes);
        decodeMs.push(performance.now() - t0);
      }
    }
    return {
      backend: tok.backend,
      resolution: r,
      grid: tok.grid,
      runs,
      ms: {
        load: round(tok.loadMs),
        preprocess: image ? round(median(preprocessMs)) : 0,
        encode: round(median(encodeMs)),
        decode: decodeMs.length ? round(median(decodeMs)) : null,
        encodeRuns: encodeMs.map(round),
        decodeRuns: decodeMs.map(round),
      },
      peakRssMb: { beforeLoad: rssBefore, afterEncodes: rssAfterEncode, end: peakRssMb() },
    };
  } finally {
    tok.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        weights: { type: 'string' },
        config: { type: 'string' },
        image: { type: 'string' },
        codes: { type: 'string' },
        out: { type: 'string' },
        preprocessed: { type: 'boolean' },
        resampler: { type: 'string' },
        threads: { type: 'string' },
        backend: { type: 'string' },
        runs: { type: 'string' },
      },
      strict: true,
    });
    let result: unknown;
    if (command === 'encode') result = await encode(values);
    else if (command === 'decode') result = await decode(values);
    else if (command === 'bench') result = await bench(values);
    else throw new UsageError(command ? `unknown command ${command}` : 'no command');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const data = toErrorData(err, 'vqgan.internal');
    process.stderr.write(`${data.code}: ${data.message}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('vqganCli.ts')) {
  process.exitCode = await main(process.argv.slice(2));
}
