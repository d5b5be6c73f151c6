// Browser mode: the local server hands out the built renderer (renderer/dist) as static files,
// public (the page carries no secret; it gets the key once as `#key=…` and then speaks the
// WebSocket API, which checks it). Same CSP as the Electron window ('self' covers the WebSocket).
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mimeTypeOf, resolveStaticPath } from '../platform/staticFiles.ts';
import { SECURITY_HEADERS } from '../platform/securityPolicy.ts';
import type { Route } from './httpServer.ts';

/** renderer/dist of this checkout: two levels up from the sources (main/server), three from dist/. */
export function defaultRendererRoot(): string {
  const fromSource = join(import.meta.dirname, '..', '..', 'renderer', 'dist');
  const fromBuild = join(import.meta.dirname, '..', '..', '..', 'renderer', 'dist');
  return existsSync(fromSource) || !existsSync(fromBuild) ? fromSource : fromBuild;
}

/** The browser page gets the Electron window's policy and headers: one policy for one page. */
const HEADERS = { ...SECURITY_HEADERS, 'Cache-Control': 'no-cache' };

/** Every file under `dir`, as URL paths ('/assets/index-abc.js'). */
function listFiles(dir: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}/${e.name}`) : e.isFile() ? [`${prefix}/${e.name}`] : []));
}

/**
 * One public GET route per file of the built renderer (listed once, at start; API routes keep
 * their exact paths and their key check), and `/` for index.html. Without a build, `/` explains
 * how to make one.
 */
export function rendererRoutes(root: string): Route[] {
  const paths = listFiles(root).filter((p) => !p.endsWith('.map'));
  const serve = (path: string): Route => ({
    method: 'GET',
    path,
    public: true,
    async handle({ res, url }) {
      const file = resolveStaticPath(url.pathname, root);
      const body = file ? await readFile(file).catch(() => null) : null;
      if (!body) {
        res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(url.pathname === '/' ? 'The browser UI is not built: run `npm run build:renderer` and restart `npm run serve`.\n' : 'Not found\n');
        return;
      }
      res.writeHead(200, { ...HEADERS, 'Content-Type': mimeTypeOf(file!), 'Content-Length': body.length });
      res.end(body);
    },
  });
  return [serve('/'), ...paths.map(serve)];
}
