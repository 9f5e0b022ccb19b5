import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Serves the clinician workspace (packages/web, built by Vite into packages/web/dist) at `/`.
 *
 * - Only files that exist in the build when the server starts are served: the file list is read
 *   once, so no request path ever reaches the file system (no traversal to guard against).
 * - Any other GET that asks for HTML gets index.html (the single-page app's own router decides),
 *   except under the API's prefixes, which keep their own 404s (OperationOutcome, not a web page).
 * - A strict Content-Security-Policy: the app's own scripts, styles and API only.
 */
export interface WebAppOptions {
  /** The built app (index.html and assets/); by default packages/web/dist beside this package. */
  root?: string;
}

/** Paths the web app must never answer, however a browser asks. */
const API_PREFIXES = ['/fhir', '/auth', '/mesh', '/healthz', '/metrics'];

export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface WebFile {
  body: Buffer;
  contentType: string;
  /** Vite puts a content hash in every name under assets/, so those can be cached for good. */
  immutable: boolean;
}

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** Reads the build into memory (it is small: a few hundred kilobytes). */
export function loadWebFiles(root: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType === undefined) continue;
      const urlPath = `/${relative(root, path).split(sep).join('/')}`;
      files.set(urlPath, {
        body: readFileSync(path),
        contentType,
        immutable: urlPath.startsWith('/assets/'),
      });
    }
  };
  walk(root);
  return files;
}

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function send(reply: FastifyReply, file: WebFile): FastifyReply {
  return reply
    .header('content-type', file.contentType)
    .header('content-security-policy', WEB_CONTENT_SECURITY_POLICY)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(file.body);
}

/**
 * Registers the web app's routes. Returns false (and serves no pages) when the app has not been
 * built, so an API-only deployment or a server test needs no front-end build.
 */
export function registerWebApp(app: FastifyInstance, options: WebAppOptions = {}): boolean {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  if (!existsSync(join(root, 'index.html'))) return false;
  const files = loadWebFiles(root);
  const index = files.get('/index.html');
  if (index === undefined) return false;

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (isApiPath(path)) return reply.callNotFound();
    const file = files.get(path === '/' ? '/index.html' : path);
    if (file !== undefined) return send(reply, file);
    // A missing asset is a 404, not the app: a stale page asking for an old bundle must fail loudly.
    const wantsPage = extname(path) === '' && (request.headers.accept ?? '*/*').includes('text/html');
    if (!wantsPage) return reply.callNotFound();
    return send(reply, index);
  });
  return true;
}
