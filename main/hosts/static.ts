// Static file serving for the built renderer: GET/HEAD only, a fixed MIME allow-list, no directory listing, no path
// escape, security headers (CSP identical to the HTML meta tag plus frame-ancestors) on every response.
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cspString } from '../../app/ipc/csp';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
export const MAX_STATIC_BYTES = 16 * 1024 * 1024;

export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': cspString({ header: true }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=()',
    'Cache-Control': 'no-store',
  };
}

/** Maps a request path to a file inside root, or null when it must not be served. */
export function resolveStatic(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (p === '/' || p === '') p = '/index.html';
  if (p.includes('\0') || p.includes('\\') || p.split('/').some((seg) => seg === '..' || (seg.startsWith('.') && seg.length > 0)))
    return null;
  if (!(extname(p) in MIME)) return null;
  const base = resolve(root);
  const full = resolve(base, '.' + p);
  if (!full.startsWith(base + sep)) return null;
  return full;
}

export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = securityHeaders();
  const send = (status: number, body: string) => {
    res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(405, 'method not allowed');
  }
  const file = resolveStatic(root, req.url ?? '/');
  if (!file) return send(404, 'not found');
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > MAX_STATIC_BYTES) return send(404, 'not found');
    const body = await readFile(file);
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)]!, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    send(404, 'not found');
  }
}
