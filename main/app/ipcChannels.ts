// The three IPC channels api.ts travels on, and the app's own origin. preload.cts repeats these
// strings (a sandboxed preload cannot import); test/unit/app checks the two copies agree.
export const IPC_CHANNELS = {
  /** invoke: { name, input } → CallOutcome */
  call: 'chameleon:api:call',
  /** postMessage with one MessagePort: { name, input }; packets come back on the port. */
  stream: 'chameleon:api:stream',
  /** main → renderer: { name, payload } for every api.ts event. */
  event: 'chameleon:api:event',
} as const;

export const APP_SCHEME = 'app';
export const APP_HOST = 'chameleon';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;
/** The name of the one global the preload exposes. */
export const BRIDGE_GLOBAL = 'chameleon';
