import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fhirError } from '@carebridge/domain';
import type { Principal } from '../access/principal.js';
import type { RateLimits } from '../config.js';

const WINDOW_MS = 60_000;

/**
 * The bucket a request counts against: a system client as a whole; a person per app they use; a
 * request without valid credentials by its address (so a flood of bad tokens is limited too).
 */
export type RateLimitBucket =
  | { kind: 'system'; clientId: string }
  | { kind: 'session'; clientId: string; subject: string }
  | { kind: 'address'; address: string };

export function bucketFor(principal: Principal | undefined, address: string): RateLimitBucket {
  if (principal === undefined) return { kind: 'address', address };
  if (principal.kind === 'system') return { kind: 'system', clientId: principal.clientId };
  return { kind: 'session', clientId: principal.clientId, subject: principal.subject };
}

/** Requests per minute for a bucket; 0 means it is not limited. */
export function limitFor(bucket: RateLimitBucket, limits: RateLimits): number {
  if (bucket.kind !== 'address') {
    const override = limits.perClient[bucket.clientId];
    if (override !== undefined) return override;
  }
  return bucket.kind === 'system' ? limits.systemPerMinute : limits.userPerMinute;
}

/**
 * Per-client request limits for the routes of `app` (@fastify/rate-limit, in memory: each process
 * counts its own requests, so behind a load balancer of N processes a client gets up to N times the
 * limit — see docs/OPERATIONS.md). It runs after body parsing, identifying the caller through
 * `principalOf`, which the route then reuses, so a token is verified once per request. A refused
 * request is a 429 OperationOutcome with Retry-After, and is audited like any refusal.
 */
export async function installRateLimits(
  app: FastifyInstance,
  limits: RateLimits,
  principalOf: (request: FastifyRequest) => Promise<Principal | undefined>,
): Promise<void> {
  // principalOf is memoised per request, so asking for the bucket three times verifies nothing twice.
  const bucketOf = async (request: FastifyRequest): Promise<RateLimitBucket> =>
    bucketFor(await principalOf(request), request.ip);
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: WINDOW_MS,
    keyGenerator: async (request) => keyOf(await bucketOf(request)),
    max: async (request) => limitFor(await bucketOf(request), limits),
    allowList: async (request) => limitFor(await bucketOf(request), limits) === 0,
    errorResponseBuilder: (_request, context) =>
      fhirError(
        'rate-limited',
        `This client has made more than ${context.max} requests in a minute; try again in ${context.after}.`,
      ),
  });
}

function keyOf(bucket: RateLimitBucket): string {
  switch (bucket.kind) {
    case 'system':
      return `system|${bucket.clientId}`;
    case 'session':
      return `session|${bucket.clientId}|${bucket.subject}`;
    case 'address':
      return `address|${bucket.address}`;
  }
}
