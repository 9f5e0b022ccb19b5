import { isValidOdsCode } from '@carebridge/domain';
import { DEFAULT_CIS2_ROLE_MAPPING, parseRoleMapping, type Cis2RoleRule } from './cis2-roles.js';
import { parseSmartScopes, SmartScopeError, splitScopeString } from './smart-scopes.js';

/**
 * Identity configuration, read from the environment by `loadIdentityConfig` (docs/identity.md has
 * the table). Secrets come only from here: nothing in the code holds a production secret.
 */
export type IdentityConfig = EmbeddedIdentityConfig | ExternalIdentityConfig;

export interface EmbeddedIdentityConfig {
  mode: 'embedded';
  /** A private JWK (EC P-256 or RSA) to sign with; when absent a key is generated and kept in the database. */
  signingKey?: unknown;
  /** Cookie-signing secrets, newest first; when absent one is generated and kept in the database. */
  cookieSecrets?: string[];
  /** Confidential clients for system-to-system use (client credentials). */
  systemClients: SystemClientConfig[];
  /** Paths on the server's own origin that the Carebridge web app may be redirected back to. */
  webRedirectPaths: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Trust X-Forwarded-Proto/Host from a reverse proxy (set when TLS ends before Carebridge). */
  trustProxy: boolean;
}

export interface ExternalIdentityConfig {
  mode: 'external';
  issuer: string;
  /** The `aud` tokens must carry; defaults to the FHIR base URL. */
  audience?: string;
  jwksUrl: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  roleMapping: Cis2RoleRule[];
  /** Scopes a staff token without SMART scopes gets (CIS2 tokens carry none); roles still apply. */
  defaultStaffScopes: string;
  /** Advertised in /fhir/.well-known/smart-configuration when set. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
}

export interface SystemClientConfig {
  clientId: string;
  name?: string;
  /** Shared secret (client_secret_basic or client_secret_post), at least 32 characters. */
  secret?: string;
  /** Public keys for private_key_jwt (SMART Backend Services), inline or by URL. */
  jwks?: { keys: unknown[] };
  jwksUri?: string;
  /** The `system/` scopes the client may be granted, space-separated. */
  allowedScopes: string;
  /** The organisation the system acts for. */
  organizationId: string;
  odsCode: string;
}

type Environment = Record<string, string | undefined>;

export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const MAX_ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
const MAX_CLOCK_TOLERANCE_SECONDS = 60;
const MIN_CLIENT_SECRET_LENGTH = 32;
const DEFAULT_EXTERNAL_ALGORITHMS = ['RS256', 'PS256', 'ES256'];
const ALLOWED_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]);
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function loadIdentityConfig(env: Environment = process.env): IdentityConfig {
  const mode = env.IDENTITY_MODE ?? 'embedded';
  if (mode === 'embedded') return loadEmbedded(env);
  if (mode === 'external') return loadExternal(env);
  throw new Error(`IDENTITY_MODE must be one of embedded, external, not '${mode}'`);
}

function loadEmbedded(env: Environment): EmbeddedIdentityConfig {
  const config: EmbeddedIdentityConfig = {
    mode: 'embedded',
    systemClients: parseSystemClients(env.SYSTEM_CLIENTS),
    webRedirectPaths: list(env.IDENTITY_WEB_REDIRECT_PATHS ?? '/app/callback').map((path) => {
      if (!path.startsWith('/') || path.startsWith('//')) {
        throw new Error(
          `IDENTITY_WEB_REDIRECT_PATHS must list absolute paths such as /app/callback, not '${path}'`,
        );
      }
      return path;
    }),
    accessTokenTtlSeconds: seconds(
      env,
      'IDENTITY_ACCESS_TOKEN_TTL',
      DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
      60,
      MAX_ACCESS_TOKEN_TTL_SECONDS,
    ),
    refreshTokenTtlSeconds: seconds(env, 'IDENTITY_REFRESH_TOKEN_TTL', 12 * 60 * 60, 60, 30 * 24 * 60 * 60),
    sessionTtlSeconds: seconds(env, 'IDENTITY_SESSION_TTL', 8 * 60 * 60, 60, 7 * 24 * 60 * 60),
    trustProxy: flag(env, 'IDENTITY_TRUST_PROXY', false),
  };
  if (nonEmpty(env.IDENTITY_SIGNING_KEY)) config.signingKey = env.IDENTITY_SIGNING_KEY;
  if (nonEmpty(env.IDENTITY_COOKIE_SECRETS)) {
    const secrets = list(env.IDENTITY_COOKIE_SECRETS ?? '');
    if (secrets.some((secret) => secret.length < MIN_CLIENT_SECRET_LENGTH)) {
      throw new Error(`IDENTITY_COOKIE_SECRETS must each be at least ${MIN_CLIENT_SECRET_LENGTH} characters`);
    }
    config.cookieSecrets = secrets;
  }
  return config;
}

function loadExternal(env: Environment): ExternalIdentityConfig {
  const issuer = required(env, 'IDENTITY_ISSUER');
  const config: ExternalIdentityConfig = {
    mode: 'external',
    issuer,
    jwksUrl: url('IDENTITY_JWKS_URL', required(env, 'IDENTITY_JWKS_URL')),
    algorithms: list(env.IDENTITY_ALGORITHMS ?? DEFAULT_EXTERNAL_ALGORITHMS.join(',')).map((alg) => {
      if (!ALLOWED_ALGORITHMS.has(alg)) throw new Error(`IDENTITY_ALGORITHMS may not include '${alg}'`);
      return alg;
    }),
    clockToleranceSeconds: seconds(env, 'IDENTITY_CLOCK_TOLERANCE', 30, 0, MAX_CLOCK_TOLERANCE_SECONDS),
    roleMapping: nonEmpty(env.IDENTITY_ROLE_MAP)
      ? parseRoleMapping(json('IDENTITY_ROLE_MAP', env.IDENTITY_ROLE_MAP ?? ''))
      : [...DEFAULT_CIS2_ROLE_MAPPING],
    defaultStaffScopes: env.IDENTITY_DEFAULT_STAFF_SCOPES ?? 'user/*.cruds',
  };
  try {
    parseSmartScopes(config.defaultStaffScopes);
  } catch (error) {
    throw new Error(
      `IDENTITY_DEFAULT_STAFF_SCOPES: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (nonEmpty(env.IDENTITY_AUDIENCE)) config.audience = env.IDENTITY_AUDIENCE;
  if (nonEmpty(env.IDENTITY_AUTHORIZATION_ENDPOINT)) {
    config.authorizationEndpoint = url(
      'IDENTITY_AUTHORIZATION_ENDPOINT',
      env.IDENTITY_AUTHORIZATION_ENDPOINT ?? '',
    );
  }
  if (nonEmpty(env.IDENTITY_TOKEN_ENDPOINT)) {
    config.tokenEndpoint = url('IDENTITY_TOKEN_ENDPOINT', env.IDENTITY_TOKEN_ENDPOINT ?? '');
  }
  return config;
}

/**
 * SYSTEM_CLIENTS: a JSON array of
 * `{ "clientId", "secret" | "jwks" | "jwksUri", "allowedScopes", "organizationId", "odsCode", "name"? }`.
 */
export function parseSystemClients(text: string | undefined): SystemClientConfig[] {
  if (!nonEmpty(text)) return [];
  const value = json('SYSTEM_CLIENTS', text ?? '');
  if (!Array.isArray(value)) throw new Error('SYSTEM_CLIENTS must be a JSON array of clients');
  const seen = new Set<string>();
  return value.map((entry: unknown, index): SystemClientConfig => {
    const where = `SYSTEM_CLIENTS[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where} must be an object`);
    const record = entry as Record<string, unknown>;
    const stringMember = (name: string): string | undefined => {
      const member = record[name];
      if (member === undefined) return undefined;
      if (typeof member !== 'string' || member === '')
        throw new Error(`${where}.${name} must be a non-empty string`);
      return member;
    };
    const clientId = stringMember('clientId');
    if (clientId === undefined || !CLIENT_ID.test(clientId)) {
      throw new Error(`${where}.clientId must be 1–128 letters, digits, '.', '_', ':' or '-'`);
    }
    if (clientId === 'carebridge-web' || seen.has(clientId))
      throw new Error(`${where}.clientId '${clientId}' is taken`);
    seen.add(clientId);
    const secret = stringMember('secret');
    const jwksUri = stringMember('jwksUri');
    const jwks = record.jwks;
    const credentials = [secret, jwksUri, jwks].filter((credential) => credential !== undefined).length;
    if (credentials !== 1) throw new Error(`${where} needs exactly one of secret, jwks or jwksUri`);
    if (secret !== undefined && secret.length < MIN_CLIENT_SECRET_LENGTH) {
      throw new Error(`${where}.secret must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`);
    }
    if (jwks !== undefined && !isJwks(jwks))
      throw new Error(`${where}.jwks must be a JWK Set ({"keys": [...]})`);
    const allowedScopes = stringMember('allowedScopes');
    if (allowedScopes === undefined) throw new Error(`${where}.allowedScopes is required`);
    checkSystemScopes(where, allowedScopes);
    const organizationId = stringMember('organizationId');
    const odsCode = stringMember('odsCode');
    if (organizationId === undefined || odsCode === undefined || !isValidOdsCode(odsCode)) {
      throw new Error(
        `${where} needs the organizationId and a valid odsCode of the organisation it acts for`,
      );
    }
    const client: SystemClientConfig = { clientId, allowedScopes, organizationId, odsCode };
    const name = stringMember('name');
    if (name !== undefined) client.name = name;
    if (secret !== undefined) client.secret = secret;
    if (jwksUri !== undefined) client.jwksUri = url(`${where}.jwksUri`, jwksUri);
    if (isJwks(jwks)) client.jwks = jwks;
    return client;
  });
}

function checkSystemScopes(where: string, scopes: string): void {
  try {
    const tokens = splitScopeString(scopes);
    const parsed = parseSmartScopes(scopes);
    if (parsed.length !== tokens.length || parsed.some((scope) => scope.context !== 'system')) {
      throw new Error('only system/ scopes can be allowed for a system client');
    }
  } catch (error) {
    const reason = error instanceof SmartScopeError || error instanceof Error ? error.message : String(error);
    throw new Error(`${where}.allowedScopes: ${reason}`);
  }
}

function isJwks(value: unknown): value is { keys: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (!nonEmpty(value)) throw new Error(`${name} is required when IDENTITY_MODE is external`);
  return value as string;
}

function url(name: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL, not '${value}'`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error(`${name} must be an http(s) URL`);
  return value;
}

function seconds(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (!nonEmpty(raw)) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number of seconds from ${min} to ${max}, not '${raw}'`);
  }
  return value;
}

function flag(env: Environment, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (!nonEmpty(raw)) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, not '${raw}'`);
}

function json(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}
