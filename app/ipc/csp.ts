// The renderer's Content-Security-Policy: one definition for the HTML meta tag (build), the web host's header and Electron.
// connect-src 'self' covers the web host's same-origin ws:// endpoint (CSP3); Electron's renderer makes no network calls.

export const CSP_DIRECTIVES: Record<string, string> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'font-src': "'self'",
  'connect-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'object-src': "'none'",
  'worker-src': "'none'",
  'frame-src': "'none'",
  'manifest-src': "'none'",
  'media-src': "'none'",
  'require-trusted-types-for': "'script'",
  'trusted-types': "'none'",
};

/** Directives a meta tag cannot carry; sent as an HTTP header only. */
export const CSP_HEADER_ONLY: Record<string, string> = { 'frame-ancestors': "'none'" };

export function cspString(opts: { header?: boolean } = {}): string {
  const all = opts.header ? { ...CSP_DIRECTIVES, ...CSP_HEADER_ONLY } : CSP_DIRECTIVES;
  return Object.entries(all)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}
