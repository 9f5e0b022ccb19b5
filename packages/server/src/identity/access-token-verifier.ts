import type { JsonWebKey } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { isValidNhsNumber } from '@carebridge/domain';
import { isCarebridgeRole, type Principal, type SmartScope } from '../access/principal.js';
import { AccessTokenError } from './access-token-error.js';
import {
  DEFAULT_CIS2_ROLE_MAPPING,
  mapJobRole,
  organisationKindFromOdsCode,
  parseNationalRbacRoles,
  selectNationalRbacRole,
  type Cis2RoleRule,
  type NationalRbacRole,
  type OrganisationResolver,
} from './cis2-roles.js';
import { parseSmartScopes, SmartScopeError } from './smart-scopes.js';

/**
 * Turns a bearer token into the `Principal` every access decision uses, or refuses it with a typed
 * reason (`AccessTokenError`). Two sources of tokens:
 *  - embedded: our own provider's JWTs, verified against its local keys, claims taken as issued;
 *  - external: a CIS2-style issuer's JWTs, verified against its published JWKS, with national
 *    RBAC roles mapped to Carebridge roles and the role's ODS code resolved to an Organization.
 */
export interface VerifiedPrincipal extends Principal {
  /** Facts about the token itself, for the audit trail (IHE BALP's "minimal" OAuth pattern). */
  token: {
    issuer: string;
    /** `jti`, when the issuer sets one. */
    id?: string;
    expiresAt: Date;
    mode: 'embedded' | 'external';
  };
  /** The national RBAC role the user acts in (external staff tokens only). */
  nationalRbac?: NationalRbacRole;
}

export interface AccessTokenVerifier {
  verify(bearerToken: string | undefined): Promise<VerifiedPrincipal>;
}

interface CommonVerifierConfig {
  issuer: string;
  /** The FHIR base URL, which every access token must name in `aud`. */
  audience: string;
  /** At most 60 seconds. */
  clockToleranceSeconds?: number;
  /** For tests: the time tokens are checked against. */
  now?: () => Date;
}

export interface EmbeddedVerifierConfig extends CommonVerifierConfig {
  mode: 'embedded';
  /** The provider's public signing keys. */
  jwks: { keys: JsonWebKey[] };
}

export interface ExternalVerifierConfig extends CommonVerifierConfig {
  mode: 'external';
  jwksUrl: string;
  /** Accepted signing algorithms (never `none` or HMAC). */
  algorithms?: readonly string[];
  resolveOrganisation: OrganisationResolver;
  /** Maps an NHS login's NHS number to the Patient id; without it patient sign-ins are refused. */
  resolvePatient?: (nhsNumber: string) => Promise<{ patientId: string } | undefined>;
  roleMapping?: readonly Cis2RoleRule[];
  /** Scopes for staff tokens that carry no SMART scopes (CIS2's do not). */
  defaultStaffScopes?: string;
  /** Require this JWT `typ` header (e.g. "at+jwt") when the issuer sets one. */
  requiredTokenType?: string;
}

export type AccessTokenVerifierConfig = EmbeddedVerifierConfig | ExternalVerifierConfig;

const MAX_CLOCK_TOLERANCE_SECONDS = 60;
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
const EXTERNAL_DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256'];
const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;
/** NHS login's highest identity proofing level: the person was matched to their NHS number. */
const REQUIRED_PATIENT_PROOFING_LEVEL = 'P9';

export function createAccessTokenVerifier(config: AccessTokenVerifierConfig): AccessTokenVerifier {
  const clockTolerance = config.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (clockTolerance < 0 || clockTolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new Error(`The clock tolerance must be 0–${MAX_CLOCK_TOLERANCE_SECONDS} seconds`);
  }
  const keys: JWTVerifyGetKey =
    config.mode === 'embedded'
      ? createLocalJWKSet({ keys: config.jwks.keys as JWK[] })
      : createRemoteJWKSet(new URL(config.jwksUrl), {
          timeoutDuration: 5_000,
          // A token signed with a key we have not seen makes us refetch, but at most twice a minute.
          cooldownDuration: 30_000,
          cacheMaxAge: 10 * 60_000,
        });
  const algorithms =
    config.mode === 'embedded'
      ? [...new Set(config.jwks.keys.map((key) => algorithmOf(key)))]
      : [...(config.algorithms ?? EXTERNAL_DEFAULT_ALGORITHMS)];
  if (algorithms.some((alg) => FORBIDDEN_ALGORITHMS.test(alg))) {
    throw new Error('Access tokens must be signed with an asymmetric algorithm');
  }
  const requiredType = config.mode === 'embedded' ? 'at+jwt' : config.requiredTokenType;

  return {
    async verify(bearerToken) {
      if (bearerToken === undefined || bearerToken.trim() === '') throw new AccessTokenError('no-token');
      const payload = await verifySignatureAndClaims(bearerToken.trim(), keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms,
        clockTolerance,
        ...(requiredType ? { typ: requiredType } : {}),
        ...(config.now ? { currentDate: config.now() } : {}),
      });
      const token = tokenFacts(payload, config.issuer, config.mode);
      return config.mode === 'embedded'
        ? embeddedPrincipal(payload, token)
        : externalPrincipal(payload, token, config);
    },
  };
}

/** The token in an `Authorization: Bearer …` header; anything else there is refused. */
export function bearerTokenFromHeader(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') throw new AccessTokenError('no-token');
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) {
    throw new AccessTokenError('malformed-token', 'The Authorization header is not "Bearer <token>".');
  }
  return match[1];
}

/**
 * The `Authenticator` for Fastify routes: the bearer token of the request, verified. Refusals are
 * `AccessTokenError`s, which are `FhirError`s, so the error handler answers them as OperationOutcomes.
 */
export function bearerAuthenticator(
  verifier: AccessTokenVerifier,
): (request: FastifyRequest) => Promise<VerifiedPrincipal> {
  return async (request) => verifier.verify(bearerTokenFromHeader(request.headers.authorization));
}

/**
 * Refuses a patient's sign-in where only health and care staff (or systems) may come: call it in
 * front of any staff-only API. Patients reach their own record through patient-facing routes.
 */
export function requireStaffPrincipal<P extends Principal>(principal: P): P {
  if (principal.kind === 'patient') throw new AccessTokenError('patient-token-on-staff-api');
  return principal;
}

interface VerifyOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  clockTolerance: number;
  typ?: string;
  currentDate?: Date;
}

async function verifySignatureAndClaims(
  token: string,
  keys: JWTVerifyGetKey,
  options: VerifyOptions,
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keys, { ...options, requiredClaims: ['exp', 'sub'] });
    return payload;
  } catch (error) {
    throw refusalFor(error);
  }
}

/** jose's errors, in our terms. Anything unexpected is treated as a bad token, never as valid. */
function refusalFor(error: unknown): AccessTokenError {
  if (error instanceof joseErrors.JWTExpired)
    return new AccessTokenError('expired', undefined, { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return new AccessTokenError('wrong-issuer', undefined, { cause: error });
      case 'aud':
        return new AccessTokenError('wrong-audience', undefined, { cause: error });
      case 'nbf':
      case 'iat':
        return new AccessTokenError('not-yet-valid', undefined, { cause: error });
      case 'typ':
        return new AccessTokenError('wrong-token-type', undefined, { cause: error });
      default:
        return new AccessTokenError('malformed-claim', `The ${error.claim} claim is ${error.reason}.`, {
          cause: error,
        });
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return new AccessTokenError('unsupported-algorithm', undefined, { cause: error });
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return new AccessTokenError('bad-signature', undefined, { cause: error });
  }
  if (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    isFetchFailure(error)
  ) {
    return new AccessTokenError('issuer-unavailable', undefined, { cause: error });
  }
  return new AccessTokenError('malformed-token', undefined, { cause: error });
}

/** The JWKS could not be fetched: network failure, or jose's generic error for a non-200 or non-JSON answer. */
function isFetchFailure(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof Error && error.name === 'AbortError') ||
    (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  );
}

function tokenFacts(
  payload: JWTPayload,
  issuer: string,
  mode: 'embedded' | 'external',
): VerifiedPrincipal['token'] {
  const facts: VerifiedPrincipal['token'] = { issuer, expiresAt: new Date((payload.exp ?? 0) * 1000), mode };
  if (typeof payload.jti === 'string') facts.id = payload.jti;
  return facts;
}

/** Our own tokens: the claims were put there by the embedded provider from the account record. */
function embeddedPrincipal(payload: JWTPayload, token: VerifiedPrincipal['token']): VerifiedPrincipal {
  const role = payload.role;
  if (!isCarebridgeRole(role))
    throw new AccessTokenError('malformed-claim', 'The role claim is missing or unknown.');
  const subject = requiredString(payload, 'sub');
  const clientId = requiredString(payload, 'client_id');
  const scopes = scopesClaim(payload);
  const base = {
    subject,
    displayName: optionalString(payload, 'name') ?? subject,
    role,
    clientId,
    token,
  };
  if (role === 'patient') {
    const patientId = requiredString(payload, 'patient_id');
    const principal: VerifiedPrincipal = {
      ...base,
      kind: 'patient',
      patientId,
      scopes: onlyContext(scopes, 'patient'),
    };
    const launchPatientId = optionalString(payload, 'patient');
    if (launchPatientId !== undefined) {
      if (launchPatientId !== patientId) {
        throw new AccessTokenError(
          'malformed-claim',
          "The patient launch context is not the patient's own record.",
        );
      }
      principal.launchPatientId = launchPatientId;
    }
    return principal;
  }
  const principal: VerifiedPrincipal = {
    ...base,
    kind: role === 'system' ? 'system' : 'staff',
    organizationId: requiredString(payload, 'organization_id'),
    scopes: onlyContext(scopes, role === 'system' ? 'system' : 'user'),
  };
  copyOptional(payload, 'ods_code', (value) => (principal.odsCode = value));
  copyOptional(payload, 'practitioner_id', (value) => (principal.practitionerId = value));
  copyOptional(payload, 'practitioner_role_id', (value) => (principal.practitionerRoleId = value));
  return principal;
}

/**
 * A CIS2-style staff token (national RBAC claims) or an NHS login-style patient token
 * (`nhs_number`). Staff tokens rarely carry SMART scopes, so the configured default applies and
 * the Carebridge role decides what they may do.
 */
async function externalPrincipal(
  payload: JWTPayload,
  token: VerifiedPrincipal['token'],
  config: ExternalVerifierConfig,
): Promise<VerifiedPrincipal> {
  const subject = requiredString(payload, 'sub');
  const clientId = optionalString(payload, 'client_id') ?? optionalString(payload, 'azp');
  if (clientId === undefined) {
    throw new AccessTokenError('malformed-claim', 'The token names no client (client_id or azp).');
  }
  const displayName = externalDisplayName(payload) ?? subject;
  const hasRoles = payload.nhsid_nrbac_roles !== undefined || payload.selected_roleid !== undefined;
  if (!hasRoles && (payload.nhs_number !== undefined || payload.identity_proofing_level !== undefined)) {
    return externalPatientPrincipal(payload, { subject, clientId, displayName, token }, config);
  }

  const roles = parseNationalRbacRoles(payload.nhsid_nrbac_roles);
  const selected = selectNationalRbacRole(roles, payload.selected_roleid);
  const organisation = await config.resolveOrganisation(selected.orgCode);
  if (organisation === undefined) {
    throw new AccessTokenError(
      'unknown-organisation',
      `No organisation has the ODS code ${selected.orgCode}.`,
    );
  }
  const organisationKind = organisation.kind ?? organisationKindFromOdsCode(selected.orgCode);
  const role = mapJobRole(
    config.roleMapping ?? DEFAULT_CIS2_ROLE_MAPPING,
    selected.jobRoleCode,
    organisationKind,
  );
  if (role === undefined) {
    throw new AccessTokenError(
      'unmapped-role',
      `Job role ${selected.jobRoleCode} at a ${organisationKind} organisation has no Carebridge role.`,
    );
  }
  const tokenScopes = onlyContext(scopesClaim(payload), 'user');
  return {
    kind: 'staff',
    subject,
    displayName,
    role,
    organizationId: organisation.organizationId,
    odsCode: selected.orgCode,
    clientId,
    scopes:
      tokenScopes.length > 0 ? tokenScopes : parseSmartScopes(config.defaultStaffScopes ?? 'user/*.cruds'),
    token,
    nationalRbac: selected,
  };
}

async function externalPatientPrincipal(
  payload: JWTPayload,
  base: { subject: string; clientId: string; displayName: string; token: VerifiedPrincipal['token'] },
  config: ExternalVerifierConfig,
): Promise<VerifiedPrincipal> {
  const nhsNumber = requiredString(payload, 'nhs_number');
  if (!isValidNhsNumber(nhsNumber))
    throw new AccessTokenError('malformed-claim', 'nhs_number is not a valid NHS number.');
  // NHS login's P5 means the NHS number was not checked against the person: not enough for records.
  const proofingLevel = optionalString(payload, 'identity_proofing_level');
  if (proofingLevel !== REQUIRED_PATIENT_PROOFING_LEVEL) {
    throw new AccessTokenError(
      'insufficient-identity-assurance',
      `identity_proofing_level is ${proofingLevel ?? 'missing'}; ${REQUIRED_PATIENT_PROOFING_LEVEL} is required.`,
    );
  }
  const patient = await config.resolvePatient?.(nhsNumber);
  if (patient === undefined) throw new AccessTokenError('unknown-patient');
  const scopes = onlyContext(scopesClaim(payload), 'patient');
  return {
    ...base,
    kind: 'patient',
    role: 'patient',
    patientId: patient.patientId,
    launchPatientId: patient.patientId,
    scopes: scopes.length > 0 ? scopes : parseSmartScopes('patient/*.rs'),
  };
}

function externalDisplayName(payload: JWTPayload): string | undefined {
  const name = optionalString(payload, 'name');
  if (name !== undefined) return name;
  const parts = [optionalString(payload, 'given_name'), optionalString(payload, 'family_name')].filter(
    (part): part is string => part !== undefined,
  );
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function scopesClaim(payload: JWTPayload): SmartScope[] {
  const scope = payload.scope;
  if (scope === undefined) return [];
  if (typeof scope !== 'string')
    throw new AccessTokenError('malformed-claim', 'The scope claim is not a string.');
  try {
    return parseSmartScopes(scope);
  } catch (error) {
    if (error instanceof SmartScopeError)
      throw new AccessTokenError('malformed-claim', error.message, { cause: error });
    throw error;
  }
}

/** Scopes of another context than the principal's are dropped: they could only widen access. */
function onlyContext(scopes: SmartScope[], context: SmartScope['context']): SmartScope[] {
  return scopes.filter((scope) => scope.context === context);
}

function requiredString(payload: JWTPayload, name: string): string {
  const value = optionalString(payload, name);
  if (value === undefined) throw new AccessTokenError('malformed-claim', `The ${name} claim is missing.`);
  return value;
}

function optionalString(payload: JWTPayload, name: string): string | undefined {
  const value: unknown = payload[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AccessTokenError('malformed-claim', `The ${name} claim is not a non-empty string.`);
  }
  return value;
}

function copyOptional(payload: JWTPayload, name: string, assign: (value: string) => void): void {
  const value = optionalString(payload, name);
  if (value !== undefined) assign(value);
}

function algorithmOf(key: JsonWebKey): string {
  const alg = (key as { alg?: unknown }).alg;
  if (typeof alg === 'string') return alg;
  if (key.kty === 'EC' && key.crv === 'P-256') return 'ES256';
  if (key.kty === 'RSA') return 'RS256';
  throw new Error('An embedded signing key has no usable algorithm');
}
