// Pages are served from app://chameleon/ out of the built renderer folder, never from file://
// (a file:// page could read any local file it can name). Pure path resolution lives here; the
// protocol.handle registration is in electronMain.ts.
import { resolveStaticPath } from '../platform/staticFiles.ts';
import { isAppUrl } from './security.ts';

export { mimeTypeOf } from '../platform/staticFiles.ts';

/**
 * The file under `root` an app:// URL names, or null when it is not ours or would leave `root`.
 * A path without an extension is a client-side route and gets index.html.
 */
export function resolveAppPath(url: string, root: string): string | null {
  if (!isAppUrl(url)) return null;
  return resolveStaticPath(new URL(url).pathname, root);
}
