// OpenAI `image_url` parts → image segments, through the chat app's own image path: the bytes
// are checked and stored content-addressed like an attached image, and the codes come from the
// same cache (an image sent again, even after a restart, is not re-encoded). Only data: URLs are
// accepted: the app is offline and never fetches a remote URL.
import { AppError } from '../../contract/errors.ts';
import type { ImageService } from '../../services/imageService.ts';
import type { ImageInput } from './chatRequest.ts';

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?((?:;[a-z0-9-]+=[^;,]*)*)(;base64)?,/i;

export function decodeDataUrl(url: string, param: string): Uint8Array {
  if (/^https?:/i.test(url)) {
    throw new AppError('image.remoteUrl', 'Images must be sent inline as data: URLs (data:image/png;base64,…): this server works offline and never downloads a URL.', { param });
  }
  const m = DATA_URL.exec(url);
  if (!m) throw new AppError('image.unsupported', 'An image_url must be a data: URL such as data:image/png;base64,…', { param });
  const body = url.slice(m[0].length);
  if (m[3]) return Buffer.from(body, 'base64');
  return percentDecode(body);
}

/**
 * The bytes of a percent-encoded data: URL body, as the WHATWG URL standard decodes it: each %XX
 * is one byte, any other character its UTF-8 bytes, a % not followed by two hex digits itself.
 * decodeURIComponent read %XX as UTF-8, so a byte ≥ 0x80 on its own (every binary image) threw
 * "URI malformed" and the request answered 500.
 */
function percentDecode(body: string): Uint8Array {
  const raw = Buffer.from(body, 'utf8');
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    const hi = b === 0x25 && i + 2 < raw.length ? hexValue(raw[i + 1]!) : -1;
    const lo = hi >= 0 ? hexValue(raw[i + 2]!) : -1;
    if (lo >= 0) {
      out[n++] = hi * 16 + lo;
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

export function serviceImageInput(images: ImageService): ImageInput {
  return async (url, param) => {
    const bytes = decodeDataUrl(url, param);
    try {
      // attach: weights checked first, then stored once and encoded unless the cache has the codes.
      const { part } = await images.attach(bytes);
      return { type: 'image', codes: await images.codesFor(part.imageHash) };
    } catch (err) {
      if (err instanceof AppError) throw new AppError(err.code, err.message, { ...err.details, param });
      throw err;
    }
  };
}
