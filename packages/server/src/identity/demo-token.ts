import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { Database } from '../store/database.js';
import { findAccountBySubject, normaliseUsername } from './accounts.js';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from './identity-config.js';
import { decideUserScopes } from './grant-policy.js';
import { loadSigningKeys } from './signing-keys.js';
import { splitScopeString } from './smart-scopes.js';

/**
 * An access token for a demo account, signed exactly as the embedded provider signs them, for
 * `npm run cli -- token <username>` (curl, Postman, load tests). Only demo accounts qualify, and
 * the CLI must offer it only while the embedded provider is the issuer (IDENTITY_MODE=embedded):
 * tokens from anywhere else would not verify.
 */
export interface DemoTokenOptions {
  username: string;
  /** The embedded provider's issuer, `<public base>/auth`. */
  issuer: string;
  /** The FHIR base URL, `<public base>/fhir`. */
  audience: string;
  /** Defaults to `user/*.cruds` for staff and `launch/patient patient/*.rs` for the patient. */
  scopes?: string;
  /** The configured signing key (IDENTITY_SIGNING_KEY), when the provider uses one. */
  signingKey?: unknown;
  expiresInSeconds?: number;
}

export interface DemoToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  scope: string;
}

export const DEMO_TOKEN_CLIENT_ID = 'carebridge-cli';

export async function mintDemoAccessToken(db: Database, options: DemoTokenOptions): Promise<DemoToken> {
  const account = await findAccountBySubject(db, normaliseUsername(options.username), { includeDemo: true });
  if (account === undefined || !account.demo) {
    throw new Error(`There is no demo account '${options.username}' (is the demo data seeded?)`);
  }
  const isPatient = account.claims.role === 'patient';
  const requested = splitScopeString(
    options.scopes ?? (isPatient ? 'launch/patient patient/*.rs' : 'user/*.cruds'),
  );
  // The same policy as a real sign-in: a scope the account could not be granted is an error here.
  const { granted, refused } = decideUserScopes(account.claims, requested);
  if (refused.length > 0) throw new Error(`${options.username} cannot be granted: ${refused.join(' ')}`);
  const expiresIn = options.expiresInSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const keys = await loadSigningKeys(db, options.signingKey);
  const key = await importJWK(keys.active, keys.active.alg);
  const scope = granted.join(' ');
  const accessToken = await new SignJWT({
    ...account.claims,
    ...(account.claims.patient_id !== undefined ? { patient: account.claims.patient_id } : {}),
    scope,
    client_id: DEMO_TOKEN_CLIENT_ID,
  })
    .setProtectedHeader({ alg: keys.active.alg, kid: keys.active.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(account.subject)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${expiresIn}s`)
    .sign(key);
  return { accessToken, tokenType: 'Bearer', expiresIn, scope };
}
