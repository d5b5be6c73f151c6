// Finds main: Electron's preload exposes a ClientTransport as `window.chameleon`; in the browser
// the page came from `npm run serve` and talks to it over the WebSocket, authenticated with the
// key the server printed (given to the page once as `#key=…`, then kept for this tab only).
import { createApiClient, type ApiClient, type ClientTransport } from '../../../main/contract/apiClient.ts';
import type { ErrorData } from '../../../main/contract/errors.ts';
import { WS_PATH } from '../../../main/contract/wire.ts';
import { connectWebSocket } from '../../../main/contract/wsClientTransport.ts';
import { ReconnectingTransport, type ConnectionListener } from './reconnectingTransport.ts';

export interface Connection {
  client: ApiClient;
  mode: 'electron' | 'browser';
  onConnection(listener: ConnectionListener): () => void;
  /** Set when there is no way to reach main at all (no key in browser mode). */
  fatal?: ErrorData;
  /** Browser mode: the key the page authenticates with (shown in Settings → API server). */
  apiKey?: string;
}

const KEY_STORAGE = 'chameleon.apiKey';

/** Read the key from `#key=` or `?key=` (then drop it from the address bar), or this tab's storage. */
export function takeApiKey(win: Window): string | undefined {
  const url = new URL(win.location.href);
  const fromHash = new URLSearchParams(url.hash.slice(1)).get('key');
  const fromQuery = url.searchParams.get('key');
  const key = fromHash ?? fromQuery ?? undefined;
  if (key) {
    win.sessionStorage.setItem(KEY_STORAGE, key);
    url.hash = '';
    url.searchParams.delete('key');
    win.history.replaceState(null, '', url.toString());
    return key;
  }
  return win.sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function connect(win: Window & { chameleon?: ClientTransport }): Connection {
  if (win.chameleon) {
    return { client: createApiClient(win.chameleon), mode: 'electron', onConnection: () => () => undefined };
  }
  const key = takeApiKey(win) ?? '';
  const url = new URL(WS_PATH, win.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const transport = new ReconnectingTransport(() => connectWebSocket(WebSocket, url.toString(), key));
  return {
    client: createApiClient(transport),
    mode: 'browser',
    apiKey: key || undefined,
    onConnection: (l) => transport.onConnection(l),
    ...(key ? {} : { fatal: { code: 'api.unauthorized', message: 'No API key: open the address that `npm run serve` printed.' } }),
  };
}
