// What an attached image must pass before it is stored, and the data URLs the local server takes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { MAX_IMAGE_BYTES, inspectImage } from '../../../main/images/inspectImage.ts';
import { decodeDataUrl } from '../../../main/server/openai/imageInput.ts';

const INPUTS = path.resolve(import.meta.dirname, '../../../../shared/fixtures/vqgan/inputs');

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
}

/** A PNG that is only a signature, an IHDR claiming width×height, a token IDAT and IEND: metadata reads it. */
function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1))), chunk('IEND', Buffer.alloc(0))]);
}

describe('inspectImage', () => {
  it('reads type and size from real images', async () => {
    expect(await inspectImage(readFileSync(path.join(INPUTS, 'gradient.png')))).toEqual({ mime: 'image/png', ext: 'png', width: 160, height: 160 });
    const photo = await inspectImage(readFileSync(path.join(INPUTS, 'photo.jpg')));
    expect(photo).toMatchObject({ mime: 'image/jpeg', ext: 'jpg' });
    expect(photo.width).toBeGreaterThan(0);
  });

  it('refuses empty, non-image, over-sized and over-pixelled input by code', async () => {
    expect(await codeOf(inspectImage(new Uint8Array(0)))).toBe('image.empty');
    expect(await codeOf(inspectImage(Buffer.from('just some text, not a picture')))).toBe('image.unsupported');
    expect(await codeOf(inspectImage(new Uint8Array(MAX_IMAGE_BYTES + 1)))).toBe('image.tooLarge');
    // 100 000 × 100 000 pixels claimed by a tiny file: refused before any decode.
    expect(await codeOf(inspectImage(pngHeader(100_000, 100_000)))).toBe('image.tooLarge');
    expect(await inspectImage(pngHeader(4000, 3000))).toMatchObject({ width: 4000, height: 3000 });
  });
});

describe('decodeDataUrl', () => {
  it('decodes base64 and percent-encoded data URLs', () => {
    expect(decodeDataUrl('data:image/png;base64,aGVsbG8=', 'p')).toEqual(Buffer.from('hello'));
    expect(decodeDataUrl('data:image/svg+xml;charset=utf-8,%3Csvg%3E', 'p')).toEqual(Buffer.from('<svg>'));
  });

  it('decodes percent-encoded bytes >= 0x80 as bytes, as browsers do (issue 10, low)', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const encoded = [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    expect(decodeDataUrl(`data:image/png,${encoded}`, 'p')).toEqual(Buffer.from(bytes));
    // Bare bytes in the body are their UTF-8 encoding; a % without two hex digits stays itself.
    expect(decodeDataUrl('data:,%89PNG%zz%4', 'p')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x25, 0x7a, 0x7a, 0x25, 0x34]));
    expect(decodeDataUrl('data:,é%C3%A9', 'p')).toEqual(Buffer.from('éé', 'utf8'));
  });

  it('refuses remote URLs (offline) and anything that is not a data URL, naming the part', async () => {
    const remote = await codeOf(() => decodeDataUrl('https://example.com/cat.png', 'messages[0].content[1].image_url'));
    expect(remote).toBe('image.remoteUrl');
    try {
      decodeDataUrl('http://localhost/x.png', 'messages[2].content[0].image_url');
    } catch (err) {
      expect((err as AppError).details).toEqual({ param: 'messages[2].content[0].image_url' });
    }
    expect(await codeOf(() => decodeDataUrl('file:///etc/passwd', 'p'))).toBe('image.unsupported');
  });
});
