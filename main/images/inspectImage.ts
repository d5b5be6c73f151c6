// What we check about an attached image before storing it: not empty, not enormous (bytes and
// pixels), a format we decode, and its size for the UI. Reads only the header (sharp metadata);
// a file whose body is damaged still fails later, at encode, with image.corrupt.
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { imageExtension } from '../contract/chat.ts';
import { AppError } from '../contract/errors.ts';
import { DEFAULT_MAX_PIXELS } from './preprocess.ts';

/** Larger files are refused before anything else: a photo is a few MB; 64 MB is no photo. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

const MIME_BY_FORMAT: Record<string, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  heif: 'image/avif',
};

export interface ImageInfo {
  mime: string;
  ext: string;
  width: number;
  height: number;
}

export async function inspectImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageInfo> {
  if (bytes.byteLength === 0) throw new AppError('image.empty', 'The image file is empty.');
  if (bytes.byteLength > MAX_IMAGE_BYTES) {
    throw new AppError('image.tooLarge', `The image is ${(bytes.byteLength / 2 ** 20).toFixed(0)} MB; at most ${MAX_IMAGE_BYTES / 2 ** 20} MB can be attached.`, {
      bytes: bytes.byteLength,
      maxBytes: MAX_IMAGE_BYTES,
    });
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/unsupported image format/i.test(message)) throw new AppError('image.unsupported', 'This file is not an image format we can read (PNG, JPEG, WebP, GIF, TIFF or AVIF).');
    throw new AppError('image.corrupt', `The image could not be read: ${message}`);
  }
  const mime = meta.format ? MIME_BY_FORMAT[meta.format] : undefined;
  if (!mime) throw new AppError('image.unsupported', `Images of type "${meta.format ?? 'unknown'}" are not supported; use PNG, JPEG, WebP, GIF, TIFF or AVIF.`, { format: meta.format ?? null });
  // EXIF orientations 5–8 swap the sides: report the size the user sees.
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  if (!width || !height) throw new AppError('image.corrupt', 'The image has no size in its header.');
  if (width * height > maxPixels) {
    throw new AppError('image.tooLarge', `The image has ${((width * height) / 1e6).toFixed(0)} megapixels; at most ${(maxPixels / 1e6).toFixed(0)} can be processed.`, {
      width,
      height,
      maxPixels,
    });
  }
  return { mime, ext: imageExtension(mime), width, height };
}
