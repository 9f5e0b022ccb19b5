import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { FhirError, fhirError, findNestingTooDeep } from '@carebridge/domain';
import type { AccessControl } from '../access/access-control.js';
import type { Principal } from '../access/principal.js';
import type { AuditEntry } from '../audit/audit-entry.js';
import type { HttpPolicy } from '../config.js';
import { installCors } from '../ops/cors.js';
import { installRateLimits } from '../ops/rate-limits.js';
import type { Database } from '../store/database.js';
import { CSV_OPERATIONS } from '../requests/operation-names.js';
import type { FhirInteractions } from './interactions.js';
import {
  fhirMethod,
  routeInteraction,
  type FhirRequest,
  type FhirResponse,
  type Interaction,
} from './request.js';

const JSON_MEDIA_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
/** X-Request-ID is an idempotency key, stored and indexed: a UUID fits many times over. */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
/** Parameters about the response format, not the search: handled here and never passed on. */
const FORMAT_PARAMETERS = new Set(['_format', '_pretty']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The FHIR interaction this request turned out to be, for metrics and logs. */
    fhirInteraction?: string;
  }
}

/** Turns a request's credentials into a Principal, or throws an 'unauthenticated' FhirError. */
export type Authenticator = (request: FastifyRequest) => Promise<Principal>;

/** Where audit entries go; `record` resolves once the entry is durable. */
export interface AuditRecorder {
  record(entry: AuditEntry): Promise<void>;
}

export interface FhirRouteOptions {
  interactions: FhirInteractions;
  access: AccessControl;
  authenticate: Authenticator;
  audit: AuditRecorder;
  db: Database;
  http: HttpPolicy;
  publicBaseUrl?: string;
}

/** The CapabilityStatement is public (clients read it before they can authenticate). */
const ANONYMOUS: Principal = {
  kind: 'system',
  subject: 'anonymous',
  displayName: 'Anonymous',
  role: 'system',
  clientId: 'none',
  scopes: [],
  patientAccess: 'relationship',
};

/**
 * The FHIR REST API at /fhir. Fastify parses bodies; every request is authenticated (but for
 * /metadata), handed to the one dispatcher Bundle entries also go through, and answered only
 * once its audit entries are durable — on success and on failure alike.
 */
export async function fhirRoutes(app: FastifyInstance, options: FhirRouteOptions): Promise<void> {
  // Each request's credentials are verified once: by the rate limiter, which needs to know the
  // client, and then reused by the route.
  const principals = new WeakMap<FastifyRequest, Promise<Principal>>();
  const principalOf = (request: FastifyRequest): Promise<Principal> => {
    let principal = principals.get(request);
    if (principal === undefined) {
      principal = isPublic(request) ? Promise.resolve(ANONYMOUS) : options.authenticate(request);
      principals.set(request, principal);
    }
    return principal;
  };
  // Requests the route handler took on are audited there; the rest (refused by a parser, the rate
  // limiter or another hook before the handler ran) are audited here, before the error is answered.
  const auditedByHandler = new WeakSet<FastifyRequest>();
  app.addHook('onError', async (request, _reply, error) => {
    if (auditedByHandler.has(request)) return;
    const principal = await principalOf(request).catch(() => undefined);
    try {
      await recordAll(options.audit, [requestLevelEntry(request, error, principal)]);
    } catch (auditError) {
      request.log.error({ err: auditError }, 'a refused request could not be audited');
    }
  });
  await installCors(app, options.http.corsOrigins);
  await installRateLimits(app, options.http.rateLimits, (request) =>
    principalOf(request).catch(() => undefined),
  );

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      const parsed: unknown = secureJson.parse(body as string, undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
      checkBodyShape(parsed);
      done(null, parsed);
    } catch (error) {
      if (error instanceof FhirError) return done(error, undefined);
      const reason = error instanceof Error ? error.message : 'unparseable';
      done(fhirError('invalid-json', `The body is not valid JSON: ${reason}.`), undefined);
    }
  });
  app.addContentTypeParser(FORM_MEDIA_TYPE, { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const audit: AuditEntry[] = [];
    auditedByHandler.add(request);
    try {
      const fhirRequest = await buildRequest(request, options, audit, await principalOf(request));
      const interaction = routeInteraction(fhirRequest.method, fhirRequest.path);
      request.fhirInteraction = interactionLabel(interaction);
      const response = await options.interactions.handle(fhirRequest, interaction);
      await recordAll(options.audit, audit);
      return send(reply, response);
    } catch (error) {
      if (audit.length === 0) {
        const principal = await principalOf(request).catch(() => undefined);
        audit.push(requestLevelEntry(request, error, principal));
      }
      await recordAll(options.audit, audit);
      throw error;
    }
  };
  app.all('/fhir', handler);
  app.all('/fhir/*', handler);
}

/** Only the CapabilityStatement may be read without credentials. */
function isPublic(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0]?.replace(/^\/fhir\/?/, '');
  return path === 'metadata' && (request.method === 'GET' || request.method === 'HEAD');
}

async function buildRequest(
  request: FastifyRequest,
  options: FhirRouteOptions,
  audit: AuditEntry[],
  principal: Principal,
): Promise<FhirRequest> {
  const url = new URL(request.url, 'http://carebridge.invalid');
  const path = url.pathname.replace(/^\/fhir\/?/, '');
  const query = [...url.searchParams].filter(([name]) => !FORMAT_PARAMETERS.has(name));
  checkResponseFormat(request.headers.accept, url.searchParams.get('_format'), CSV_OPERATIONS.has(path));
  const headers = requestHeaders(request);
  const access = await options.access.contextFor(options.db, principal);
  return {
    method: fhirMethod(request.method),
    path,
    query,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    baseUrl: options.publicBaseUrl ?? `${request.protocol}://${request.host}/fhir`,
    context: { access, requestId: request.id, source: 'api', remoteAddress: request.ip, audit },
  };
}

function requestHeaders(request: FastifyRequest): FhirRequest['headers'] {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const headers = Object.fromEntries(
    Object.entries({
      ifMatch: header('if-match'),
      ifNoneMatch: header('if-none-match'),
      ifNoneExist: header('if-none-exist'),
      prefer: header('prefer'),
      requestId: header('x-request-id'),
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  if (headers.requestId !== undefined && !REQUEST_ID.test(headers.requestId)) {
    throw fhirError(
      'invalid-header',
      'X-Request-ID must be 1–200 visible ASCII characters (a UUID is recommended).',
      ['X-Request-ID'],
    );
  }
  return headers;
}

/**
 * How deep any request body may nest: a resource may nest 40 levels (checked with its path by
 * validation); a Bundle carries resources a few levels down. Checked before anything walks the
 * body, so no later step (fingerprints, reference rewriting, messages) can be made to recurse deeply.
 */
const MAX_BODY_DEPTH = 64;

function checkBodyShape(body: unknown): void {
  if (findNestingTooDeep(body, MAX_BODY_DEPTH) !== undefined) {
    throw fhirError('nesting-too-deep', `The body nests more than ${MAX_BODY_DEPTH} levels deep.`);
  }
  const badString = findIllFormedString(body);
  if (badString !== undefined) {
    throw fhirError('invalid-value', 'A string in the body is not well-formed Unicode (a lone surrogate).');
  }
}

/** Strings with lone UTF-16 surrogates cannot be stored as text or JSON by PostgreSQL. */
function findIllFormedString(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  for (let next = pending.pop(); next !== undefined || pending.length > 0; next = pending.pop()) {
    if (typeof next === 'string') {
      if (!next.isWellFormed()) return next;
    } else if (Array.isArray(next)) pending.push(...next);
    else if (next !== null && typeof next === 'object') {
      for (const [name, child] of Object.entries(next)) pending.push(name, child);
    }
  }
  return undefined;
}

/** No audit, no answer: if the trail cannot be written, the client gets a 503, not the data. */
async function recordAll(recorder: AuditRecorder, entries: AuditEntry[]): Promise<void> {
  try {
    await Promise.all(entries.map((entry) => recorder.record(entry)));
  } catch {
    throw fhirError(
      'service-unavailable',
      'The audit trail could not be written, so the request was not answered.',
    );
  }
}

/** For a request refused before any interaction ran (no valid token, malformed request, throttled). */
function requestLevelEntry(
  request: FastifyRequest,
  error: unknown,
  principal: Principal | undefined,
): AuditEntry {
  const status = error instanceof FhirError ? error.status : 500;
  return {
    requestId: request.id,
    recordedAt: new Date(),
    ...(principal === undefined || principal === ANONYMOUS ? {} : { principal }),
    action: 'E',
    interaction: 'request',
    patientIds: [],
    query: request.url,
    outcome: status === 401 || status === 403 || status === 429 ? 'denied' : 'failed',
    httpStatus: status,
    purposeOfUse: 'TREAT',
    breakGlass: false,
    source: 'api',
    remoteAddress: request.ip,
  };
}

function interactionLabel(interaction: Interaction): string {
  return 'resourceType' in interaction ? `${interaction.kind} ${interaction.resourceType}` : interaction.kind;
}

/**
 * Carebridge answers in FHIR JSON only; a client that accepts nothing else is told so (406). The CSV
 * operations (the workload ledger's export) also accept text/csv; their errors are still FHIR JSON.
 */
function checkResponseFormat(accept: string | undefined, format: string | null, csv: boolean): void {
  const csvFormat = csv && (format === 'csv' || format === 'text/csv');
  if (format !== null && !/json$/.test(format) && !csvFormat) {
    throw fhirError('not-acceptable', `_format=${format} is not supported; use json.`, ['_format']);
  }
  if (accept === undefined || accept.trim() === '') return;
  const acceptable = accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '')
    .some(
      (type) =>
        type === '*/*' ||
        type === 'application/*' ||
        type.endsWith('json') ||
        (csv && (type === 'text/csv' || type === 'text/*')),
    );
  if (!acceptable)
    throw fhirError('not-acceptable', `Cannot answer in ${accept}; use application/fhir+json.`);
}

function send(reply: FastifyReply, response: FhirResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  return response.body === undefined ? reply.send() : reply.send(response.body);
}
