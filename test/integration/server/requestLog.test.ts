// The server panel's request log as the HTTP server feeds it: every answered API request (found,
// refused, unknown) with its status and path — never the query, which may carry a key — and none
// of the browser UI's public files. A real LocalHttpServer on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHttpServer } from '../../../main/server/httpServer.ts';
import { RequestLog } from '../../../main/services/requestLog.ts';

let server: LocalHttpServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

describe('the HTTP server’s request log', () => {
  it('records method, path, status and duration of API requests, not public files or queries', async () => {
    const log = new RequestLog();
    const key = 'k'.repeat(32);
    server = new LocalHttpServer({
      apiKey: key,
      routes: [
        { method: 'GET', path: '/v1/models', handle: ({ res }) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}') },
        { method: 'GET', path: '/index.html', public: true, handle: ({ res }) => void res.writeHead(200).end('<html></html>') },
      ],
      onRequest: (entry) => log.add(entry),
    });
    await server.listen(0);
    const auth = { authorization: `Bearer ${key}` };
    expect((await fetch(`${server.url}/v1/models?key=${key}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/nope`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}/index.html`)).status).toBe(200);
    await expect.poll(() => log.list().length).toBe(3);
    expect(log.list().map(({ method, path, status }) => [method, path, status])).toEqual([
      ['GET', '/v1/nope', 404],
      ['GET', '/v1/models', 401],
      ['GET', '/v1/models', 200],
    ]);
    for (const e of log.list()) expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(log.list())).not.toContain(key);
  });
});
