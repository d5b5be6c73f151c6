// Request admission for the local server: the bearer key and the DNS-rebinding guard.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../contract/errors.ts';

/**
 * Constant-time check of an `Authorization: Bearer <key>` header. Both sides are hashed first so
 * the comparison takes the same time whatever the length of the guess.
 */
export function bearerMatches(header: string | undefined, key: string): boolean {
  if (!header) return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) return false;
  const given = createHash('sha256').update(match[1]!).digest();
  const expected = createHash('sha256').update(key).digest();
  return timingSafeEqual(given, expected);
}

export function assertAuthorized(headers: IncomingHttpHeaders, key: string): void {
  if (!bearerMatches(headers.authorization, key)) {
    throw new AppError(
      'api.unauthorized',
      headers.authorization
        ? 'Invalid API key. Use the key printed when the server started.'
        : 'Missing API key: send "Authorization: Bearer <key>" (the key is printed when the server starts).',
    );
  }
}

/** The only Host values this server answers to, for the port it actually listens on. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Headers a request may carry once: a second Host (or Origin, or key) is how a proxy or a rebinding page smuggles one past a check. */
const SINGLE_HEADERS = new Set(['host', 'origin', 'authorization', 'sec-websocket-protocol']);

/** Refuses a request that repeats Host, Origin or Authorization (Node keeps only the first). */
export function assertSingleHeaders(rawHeaders: readonly string[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen.has(name)) throw new AppError('api.badRequest', `The ${name} header may be sent once.`, { header: name });
    seen.add(name);
  }
}

/** A request URL fit for a log: the values of key-like query parameters are replaced. */
export function redactedUrl(url: string): string {
  return url.replace(/([?&](?:key|api_key|apikey|token|access_token)=)[^&#]*/gi, '$1[redacted]');
}

/**
 * DNS-rebinding guard: a web page that points its own domain at 127.0.0.1 still sends its own
 * name in `Host` (and `Origin`), so anything but our loopback names on our port is refused.
 * Non-browser clients send no Origin; browsers send it on every POST and cross-origin request.
 */
export function assertLocalOrigin(headers: IncomingHttpHeaders, port: number): void {
  const hosts = allowedHosts(port);
  const host = headers.host?.toLowerCase();
  if (!host || !hosts.includes(host)) {
    throw new AppError('api.forbiddenOrigin', `Requests must address ${hosts[0]} (Host header was ${JSON.stringify(headers.host ?? '')}).`, {
      host: headers.host ?? null,
    });
  }
  const origin = headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    throw new AppError('api.forbiddenOrigin', `Cross-origin requests are not allowed (Origin ${JSON.stringify(origin)}).`, { origin });
  }
}
