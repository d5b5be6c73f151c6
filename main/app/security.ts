// The renderer is an untrusted web page (house style rule 3). Everything that decides what it may
// do lives here as pure functions, so it is unit-tested without Electron: the window's
// webPreferences, the CSP, which links may open in the browser, and which IPC senders are ours.
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

/**
 * The app's Content-Security-Policy: nothing from anywhere but the app itself; no eval, no inline
 * script, no plugins, no frames, no forms. Inline *styles* are allowed because Svelte's style:
 * directives and transitions set them; CSS cannot run script.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every app:// response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
};

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
