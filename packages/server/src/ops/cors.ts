import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a browser app on an allowed origin may send to the FHIR API, and read from its answers. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'If-Match',
  'If-None-Match',
  'If-None-Exist',
  'If-Modified-Since',
  'Prefer',
  'X-Request-ID',
];
const EXPOSED_HEADERS = [
  'ETag',
  'Location',
  'Content-Location',
  'Last-Modified',
  'X-Request-ID',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * CORS for the routes of `app`: only the configured exact origins, never a wildcard. Credentials
 * (cookies) are not allowed cross-origin: the API takes bearer tokens, so a page on another origin
 * cannot ride on a signed-in user's session. With no origins configured, browsers on other origins
 * are refused (no CORS headers) and the web UI, served from the same origin, needs none.
 */
export async function installCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  const allowed = new Set(origins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    // A malformed preflight gets the FHIR route's answer (an OperationOutcome), not a text/plain 400.
    strictPreflight: false,
  });
}
