// The page's security policy, one for both shells: the Electron window (app:// responses) and the
// browser mode's HTTP server send the same Content-Security-Policy and headers, so the renderer
// runs under one policy wherever it is shown. Pure data, no Electron, no HTTP.

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
