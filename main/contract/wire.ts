// The frames both transports carry for api.ts: requests and cancels from the UI, answers, stream
// packets and events from main. Envelopes only; the payloads are checked against api.ts by the
// dispatcher (main) and the client (renderer).
import { z } from 'zod';
import { ErrorDataSchema, type ErrorData } from './errors.ts';

export const WIRE_PROTOCOL = 'chameleon.v1';
/** The WebSocket path the local server answers on. */
export const WS_PATH = '/api/ws';
/**
 * Browsers cannot set headers on a WebSocket, so the bearer key travels as a second
 * Sec-WebSocket-Protocol entry, `bearer.<key>`; the server answers with WIRE_PROTOCOL only.
 */
export const WS_KEY_PROTOCOL_PREFIX = 'bearer.';
/**
 * GET with the bearer key: 204 when the key is right, 401 when not. The server refuses a wrong key
 * at the WebSocket's HTTP upgrade, whose status a browser never sees; the page asks here why.
 */
export const SESSION_PATH = '/api/session';

const FrameId = z.number().int().positive();
const Name = z.string().min(1).max(100);

export const ClientFrameSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('call'), id: FrameId, name: Name, input: z.unknown() }),
  z.object({ t: z.literal('stream'), id: FrameId, name: Name, input: z.unknown() }),
  z.object({ t: z.literal('cancel'), id: FrameId }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export const ServerFrameSchema = z.union([
  /** First frame on an accepted connection: the key passed; requests may flow. */
  z.object({ t: z.literal('hello'), protocol: z.literal(WIRE_PROTOCOL) }),
  z.object({ t: z.literal('result'), id: FrameId, ok: z.literal(true), value: z.unknown() }),
  z.object({ t: z.literal('result'), id: FrameId, ok: z.literal(false), error: ErrorDataSchema }),
  z.object({ t: z.literal('packet'), id: FrameId, packet: z.unknown() }),
  z.object({ t: z.literal('end'), id: FrameId, error: ErrorDataSchema.optional() }),
  z.object({ t: z.literal('event'), name: Name, payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/** A command's answer as it crosses Electron IPC (`invoke` would flatten an error to a string). */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorData };
