// The renderer is an untrusted web page (house style rule 3). Everything that decides what it may
// do lives here as pure functions, so it is unit-tested without Electron: the window's
// webPreferences, which links may open in the browser, and which IPC senders are ours.
import { APP_HOST, APP_SCHEME } from './ipcChannels.ts';

/** The webPreferences of every window: one function, so no window can be created less safe. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: true,
    safeDialogs: true,
  } as const;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for pages of the app itself (app://chameleon/…). */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/**
 * Which links a click may open in the user's browser: http(s) to a named host, no credentials in
 * the URL. Everything else (file:, javascript:, custom schemes, smb: …) stays closed.
 */
export function isAllowedExternalUrl(url: string): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
  if (u.hostname === '' || u.username !== '' || u.password !== '') return false;
  return url.length <= 4096;
}

export interface SenderFrameInfo {
  /** The frame's URL; absent when the frame is gone. */
  url: string | undefined;
  /** The frame has no parent (it is the window's main frame). */
  isTopLevel: boolean;
}

/** Only the app's own top-level page may call main; an iframe or a navigated-away page may not. */
export function isTrustedSender(frame: SenderFrameInfo | null | undefined): boolean {
  return !!frame && frame.isTopLevel && frame.url !== undefined && isAppUrl(frame.url);
}
