// Image inspection (sharp/libvips on bytes from a client) on edits of small real PNG, JPEG, WebP
// and GIF files and on noise: each ends in the image's size or an image.* code. Those that pass
// go through the whole preprocessing (decode, whiten, Pillow-exact resize, crop) as a chat does.
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, it } from 'vitest';
import { inspectImage } from '../../main/images/inspectImage.ts';
import { preprocessImage } from '../../main/images/preprocess.ts';
import { fuzz, mutated } from './fuzzKit.ts';

let bases: Uint8Array[] = [];
beforeAll(async () => {
  const raw = Buffer.alloc(17 * 11 * 3, 0);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) & 0xff;
  const img = () => sharp(raw, { raw: { width: 17, height: 11, channels: 3 } });
  bases = await Promise.all([img().png().toBuffer(), img().jpeg().toBuffer(), img().webp().toBuffer(), img().gif().toBuffer(), img().tiff().toBuffer()]);
});

describe('fuzz: image inspection', () => {
  it('ends every edited or random image in its size or an image code', async () => {
    const bytes = fc.oneof(
      fc.integer({ min: 0, max: 4 }).chain((i) => mutated(bases[i]!)),
      fc.uint8Array({ maxLength: 64 }),
    );
    await fuzz('image', bytes, 300, ['image.corrupt', 'image.unsupported', 'image.empty', 'image.tooLarge'], async (b) => {
      await inspectImage(b);
      await preprocessImage(b, { resolution: 8 });
    });
  });
});
