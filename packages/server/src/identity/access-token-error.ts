import { FhirError, type ErrorCode } from '@carebridge/domain';

/**
 * Why a bearer token was refused, as a closed set the access layer can audit and answer from.
 * 401 means "this credential is not acceptable: get another" (sign in again, pick a role); 403
 * means "we know who you are, and signing in again will not help". NHS's own APIs answer role
 * selection problems with 401 too, since choosing a role means signing in again.
 */
export const ACCESS_TOKEN_REFUSALS = {
  'no-token': { code: 'unauthenticated', summary: 'No bearer token was sent.' },
  'malformed-token': {
    code: 'unauthenticated',
    summary: 'The bearer token is not a well-formed signed JWT.',
  },
  'unsupported-algorithm': {
    code: 'unauthenticated',
    summary: 'The token is signed with an algorithm that is not accepted.',
  },
  'bad-signature': {
    code: 'unauthenticated',
    summary: "The token's signature does not verify against the issuer's keys.",
  },
  'wrong-token-type': {
    code: 'unauthenticated',
    summary: 'The token is not an access token (e.g. an ID token).',
  },
  'wrong-issuer': {
    code: 'unauthenticated',
    summary: 'The token was issued by an issuer that is not trusted.',
  },
  'wrong-audience': { code: 'unauthenticated', summary: 'The token was issued for another API.' },
  expired: { code: 'unauthenticated', summary: 'The token has expired.' },
  'not-yet-valid': { code: 'unauthenticated', summary: 'The token is not valid yet.' },
  'malformed-claim': {
    code: 'unauthenticated',
    summary: 'A claim the token must carry is missing or of the wrong form.',
  },
  'role-not-selected': {
    code: 'unauthenticated',
    summary: 'The user holds several roles and none was selected; sign in again and choose a role.',
  },
  'selected-role-not-held': {
    code: 'unauthenticated',
    summary: 'The selected role is not one of the roles the user holds.',
  },
  'issuer-unavailable': {
    code: 'service-unavailable',
    summary: "The issuer's signing keys could not be fetched; try again shortly.",
  },
  'no-role': { code: 'forbidden', summary: 'The user holds no role.' },
  'unmapped-role': {
    code: 'forbidden',
    summary: 'The selected national job role gives no access to Carebridge.',
  },
  'unknown-organisation': {
    code: 'forbidden',
    summary: 'The organisation of the selected role is not known to Carebridge.',
  },
  'unknown-patient': { code: 'forbidden', summary: 'The patient who signed in is not known to Carebridge.' },
  'insufficient-identity-assurance': {
    code: 'forbidden',
    summary:
      "The patient's identity was not verified to the level needed to see health records (NHS login P9).",
  },
  'patient-token-on-staff-api': {
    code: 'forbidden',
    summary: 'A patient sign-in cannot be used with an API for health and care staff.',
  },
} as const satisfies Record<string, { code: ErrorCode; summary: string }>;

export type AccessTokenRefusal = keyof typeof ACCESS_TOKEN_REFUSALS;

/**
 * A refused token. It is a `FhirError` (401 `unauthenticated`, 403 `forbidden`, or 503
 * `service-unavailable` when the issuer's keys cannot be fetched), so the error handler answers it
 * as an OperationOutcome, and it carries the typed `reason` for the audit record.
 */
export class AccessTokenError extends FhirError {
  constructor(
    readonly reason: AccessTokenRefusal,
    /** What exactly was wrong. Never contains the token. */
    readonly detail: string = ACCESS_TOKEN_REFUSALS[reason].summary,
    options?: { cause?: unknown },
  ) {
    super({ code: ACCESS_TOKEN_REFUSALS[reason].code, diagnostics: detail });
    this.name = 'AccessTokenError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * The `WWW-Authenticate` header for a refusal (RFC 6750 §3), for 401 answers; the access layer
 * sends `error="insufficient_scope"` itself when a valid token lacks a scope.
 */
export function wwwAuthenticate(error: AccessTokenError, realm = 'carebridge'): string | undefined {
  if (error.status !== 401) return undefined;
  if (error.reason === 'no-token') return `Bearer realm="${realm}"`;
  const description = ACCESS_TOKEN_REFUSALS[error.reason].summary.replace(/["\\]/g, "'");
  return `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`;
}
