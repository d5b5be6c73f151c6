// `npm run icons`: renders resources/icon.svg into the icon set electron-builder packs:
// resources/icons/<N>x<N>.png (Linux), icon.icns (macOS) and icon.ico (Windows), plus icon-512.png
// for the window. ICNS and ICO are written here directly: both are simple containers of PNGs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SVG = join(ROOT, 'resources', 'icon.svg');
const OUT = join(ROOT, 'resources', 'icons');

const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS element types holding PNG data, by pixel size (the @2x types share sizes). */
const ICNS_TYPES: [string, number][] = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

async function png(svg: Buffer, size: number): Promise<Buffer> {
  return sharp(svg, { density: Math.max(72, Math.ceil((72 * size) / 1024) * 2) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** ICO: a directory of PNG images (Windows Vista and later read PNG entries). */
export function icoFromPngs(images: { size: number; data: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = header.length + dir.length;
  images.forEach(({ size, data }, i) => {
    const e = i * 16;
    dir.writeUInt8(size >= 256 ? 0 : size, e);
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1);
    dir.writeUInt8(0, e + 2);
    dir.writeUInt8(0, e + 3);
    dir.writeUInt16LE(1, e + 4);
    dir.writeUInt16LE(32, e + 6);
    dir.writeUInt32LE(data.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, dir, ...images.map((i) => i.data)]);
}

/** ICNS: 'icns' + total length, then (type, length incl. 8-byte header, PNG) elements, big-endian. */
export function icnsFromPngs(elements: { type: string; data: Buffer }[]): Buffer {
  const parts = elements.map(({ type, data }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

async function main(): Promise<void> {
  const svg = readFileSync(SVG);
  const cache = new Map<number, Buffer>();
  const at = async (size: number): Promise<Buffer> => {
    let b = cache.get(size);
    if (!b) cache.set(size, (b = await png(svg, size)));
    return b;
  };
  for (const size of LINUX_SIZES) writeFileSync(join(OUT, `${size}x${size}.png`), await at(size));
  writeFileSync(join(OUT, 'icon-512.png'), await at(512));
  writeFileSync(join(OUT, 'icon.ico'), icoFromPngs(await Promise.all(ICO_SIZES.map(async (size) => ({ size, data: await at(size) })))));
  writeFileSync(join(OUT, 'icon.icns'), icnsFromPngs(await Promise.all(ICNS_TYPES.map(async ([type, size]) => ({ type, data: await at(size) })))));
  console.log(`icons written to ${OUT}`);
}

if (process.argv[1] === import.meta.filename) await main();
