import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LocalAgreementsError, parseLocalAgreements, type LocalAgreements } from '@carebridge/domain';
import { loadIdentityConfig, type IdentityConfig } from './identity/index.js';
import type { DatabaseConfig } from './store/open.js';

/** Everything configurable, read once from the environment by `loadConfig`; see README's table. */
export interface Config {
  port: number;
  host: string;
  database: DatabaseConfig;
  /** 'demo' seeds the demo directory into an empty database on start; 'none' leaves it empty. */
  seed: 'demo' | 'none';
  /** Absolute base URL of the FHIR API as clients see it; derived from each request when unset. */
  publicBaseUrl?: string;
  /** Signs paging cursors so clients cannot forge or alter them. */
  cursorSecret: Buffer;
  logLevel: string;
  limits: FhirLimits;
  /** Embedded identity provider, or an external (CIS2-style) issuer: see docs/identity.md. */
  identity: IdentityConfig;
  /** Per-client request limits and the browser origins allowed to call the API. */
  http: HttpPolicy;
  transport: TransportConfig;
  /** Requests with an owner; unset, the national responsibility rules alone apply. */
  requests?: RequestsConfig;
}

export interface RequestsConfig {
  /** Commissioners' local agreements over the national rules (REQUEST_LOCAL_AGREEMENTS[_FILE]). */
  localAgreements: LocalAgreements;
}

export interface TransportConfig {
  /** Run the outbox worker in this process (off for API-only processes in a scaled deployment). */
  worker: boolean;
  /**
   * How long a worker's claim on a message is exclusive (OUTBOX_LEASE_MS); the worker's default
   * (5 minutes) when unset. Keep it well above the HTTP timeout (30 s): a shorter lease lets another
   * worker send a message that is still in flight (receivers de-duplicate, but it is wasted work).
   */
  leaseMs?: number;
  /** Webhook endpoint id → the secret its payloads are signed with (HMAC-SHA256). */
  webhookSecrets: Readonly<Record<string, string>>;
}

/**
 * Requests per minute for one client. A clinician's session (user × app) and a system client are
 * limited separately, so one busy integration cannot starve the people at their desks. 0 = unlimited.
 */
export interface RateLimits {
  userPerMinute: number;
  systemPerMinute: number;
  /** Overrides by OAuth client id (for a known high-volume integration, or to switch one off). */
  perClient: Readonly<Record<string, number>>;
}

export interface HttpPolicy {
  rateLimits: RateLimits;
  /** Exact origins (scheme://host[:port]) whose browser apps may call /fhir; none = same origin only. */
  corsOrigins: readonly string[];
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  userPerMinute: 1200,
  systemPerMinute: 30_000,
  perClient: {},
};

export interface FhirLimits {
  /** Largest request body accepted, in bytes (→ 413). */
  maxBodyBytes: number;
  /** Most entries one batch or transaction Bundle may carry (→ 413). */
  maxBundleEntries: number;
  /** Deepest JSON nesting accepted in a resource (→ 400 before any other work). */
  maxDepth: number;
  /** Page size when `_count` is absent, and the most a client may ask for. */
  defaultPageSize: number;
  maxPageSize: number;
}

export const DEFAULT_LIMITS: FhirLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxBundleEntries: 1000,
  maxDepth: 40,
  defaultPageSize: 50,
  maxPageSize: 1000,
};

type Environment = Record<string, string | undefined>;

/** The absolute base URL clients see: PUBLIC_BASE_URL, or this machine's own address. */
export function publicBase(config: Pick<Config, 'publicBaseUrl' | 'port'>): string {
  return config.publicBaseUrl?.replace(/\/fhir$/, '') ?? `http://localhost:${config.port}`;
}

export function loadConfig(env: Environment = process.env): Config {
  const publicBaseUrl = env.PUBLIC_BASE_URL?.replace(/\/+$/, '');
  return {
    port: integer(env, 'PORT', 8080),
    host: env.HOST ?? '0.0.0.0',
    database: env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL, maxConnections: integer(env, 'DATABASE_POOL_SIZE', 20) }
      : { kind: 'pglite', dataDir: env.DATA_DIR ?? './data' },
    seed: oneOf(env, 'SEED', ['demo', 'none'] as const, 'demo'),
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
    cursorSecret: env.CURSOR_SECRET ? Buffer.from(env.CURSOR_SECRET, 'utf8') : randomBytes(32),
    logLevel: env.LOG_LEVEL ?? 'info',
    identity: loadIdentityConfig(env),
    transport: {
      worker: oneOf(env, 'OUTBOX_WORKER', ['on', 'off'] as const, 'on') === 'on',
      ...optionalLeaseMs(env),
      webhookSecrets: webhookSecrets(env.WEBHOOK_SECRETS),
    },
    requests: { localAgreements: localAgreements(env) },
    http: {
      rateLimits: {
        userPerMinute: integer(env, 'RATE_LIMIT_USER_PER_MINUTE', DEFAULT_RATE_LIMITS.userPerMinute),
        systemPerMinute: integer(env, 'RATE_LIMIT_SYSTEM_PER_MINUTE', DEFAULT_RATE_LIMITS.systemPerMinute),
        perClient: perClientLimits(env.RATE_LIMIT_CLIENTS),
      },
      corsOrigins: corsOrigins(env.CORS_ORIGINS),
    },
    limits: {
      maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
      maxBundleEntries: integer(env, 'MAX_BUNDLE_ENTRIES', DEFAULT_LIMITS.maxBundleEntries),
      maxDepth: integer(env, 'MAX_JSON_DEPTH', DEFAULT_LIMITS.maxDepth),
      defaultPageSize: integer(env, 'DEFAULT_PAGE_SIZE', DEFAULT_LIMITS.defaultPageSize),
      maxPageSize: integer(env, 'MAX_PAGE_SIZE', DEFAULT_LIMITS.maxPageSize),
    },
  };
}

function integer(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not '${raw}'`);
  return value;
}

/** OUTBOX_LEASE_MS, when set: a whole number of milliseconds, at least 1000. */
function optionalLeaseMs(env: Environment): { leaseMs?: number } {
  if (env.OUTBOX_LEASE_MS === undefined || env.OUTBOX_LEASE_MS === '') return {};
  const leaseMs = integer(env, 'OUTBOX_LEASE_MS', 0);
  if (leaseMs < 1000) throw new Error(`OUTBOX_LEASE_MS must be at least 1000, not '${env.OUTBOX_LEASE_MS}'`);
  return { leaseMs };
}

/** RATE_LIMIT_CLIENTS: a JSON object of client id → requests per minute, e.g. {"gp-system": 60000}. */
function perClientLimits(raw: string | undefined): Record<string, number> {
  return jsonMap(
    raw,
    (value): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0,
    `RATE_LIMIT_CLIENTS must be a JSON object of client id to a whole number per minute, not '${raw}'`,
  );
}

/** WEBHOOK_SECRETS: a JSON object of webhook endpoint id → signing secret. */
function webhookSecrets(raw: string | undefined): Record<string, string> {
  return jsonMap(
    raw,
    (value): value is string => typeof value === 'string' && value !== '',
    'WEBHOOK_SECRETS must be a JSON object of endpoint id to secret (a string)',
  );
}

/** A setting holding a JSON object whose every value passes `isValue`; unset is empty. */
function jsonMap<T>(
  raw: string | undefined,
  isValue: (value: unknown) => value is T,
  failure: string,
): Record<string, T> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(failure);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(failure);
  const entries = Object.entries(parsed);
  if (!entries.every(([, value]) => isValue(value))) throw new Error(failure);
  return Object.fromEntries(entries) as Record<string, T>;
}

/**
 * REQUEST_LOCAL_AGREEMENTS_FILE (a path to a JSON file) or REQUEST_LOCAL_AGREEMENTS (the JSON itself):
 * commissioner ODS code → its agreements in order (docs/OPERATIONS.md). Checked in full here, so a
 * fault stops the start naming where it is, rather than misjudging every request of those practices.
 */
function localAgreements(env: Environment): LocalAgreements {
  const file = env.REQUEST_LOCAL_AGREEMENTS_FILE?.trim() || undefined;
  const inline = env.REQUEST_LOCAL_AGREEMENTS?.trim() || undefined;
  if (file !== undefined && inline !== undefined) {
    throw new Error('Set REQUEST_LOCAL_AGREEMENTS_FILE or REQUEST_LOCAL_AGREEMENTS, not both');
  }
  if (file === undefined && inline === undefined) return {};
  const setting = file === undefined ? 'REQUEST_LOCAL_AGREEMENTS' : `REQUEST_LOCAL_AGREEMENTS_FILE (${file})`;
  const text = file === undefined ? (inline as string) : readSetting(file, setting);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`${setting} is not well-formed JSON: ${(error as Error).message}`);
  }
  try {
    return parseLocalAgreements(document);
  } catch (error) {
    if (error instanceof LocalAgreementsError) throw new Error(`${setting} at ${error.message}`);
    throw error;
  }
}

function readSetting(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${setting} cannot be read: ${(error as Error).message}`);
  }
}

/** CORS_ORIGINS: comma-separated exact origins; a wildcard is refused (patient data). */
function corsOrigins(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      throw new Error(
        `CORS_ORIGINS entries must be exact origins such as https://app.example.nhs.uk, not '${origin}'`,
      );
    }
    return origin;
  });
}

function oneOf<T extends string>(env: Environment, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new Error(`${name} must be one of ${allowed.join(', ')}, not '${raw}'`);
}
