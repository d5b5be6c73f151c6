// Reads a JSON request body with a size bound. The bound is checked against Content-Length before
// reading, and again while reading (chunked uploads carry no length). Like OpenAI's API, the
// Content-Type is not enforced (curl -d sends a form type); the body must parse as JSON.
import type { IncomingMessage } from 'node:http';
import { AppError } from '../contract/errors.ts';

/** Room for a few phone photos as base64 data URLs in image_url parts (8 MiB fit about one). */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new AppError('api.badRequest', 'The request body is empty; expected a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // V8's parse message quotes the body's first bytes: error messages never quote contents.
    throw new AppError('api.badRequest', 'The request body is not valid JSON.');
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('api.payloadTooLarge', `The request body is larger than ${maxBytes} bytes.`, { maxBytes });
}
