import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
} from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { Database, SqlExecutor } from '../store/database.js';

/**
 * The keys that sign the embedded provider's tokens. Persisted so that a restart (or a second
 * process on the same database) keeps every issued token verifiable; a production deployment may
 * instead supply its key from configuration (`IDENTITY_SIGNING_KEY`), which is then never stored.
 */
export type SigningAlgorithm = 'ES256' | 'RS256';

/** A private JWK with the members every consumer (oidc-provider, jose) needs present. */
export interface PrivateSigningJwk extends JsonWebKey {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

export interface PublicSigningJwk extends JsonWebKey {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

export interface SigningKeys {
  /** Signs new tokens. */
  readonly active: PrivateSigningJwk;
  /** Every key whose tokens may still be in circulation, the active one first. */
  readonly all: readonly PrivateSigningJwk[];
}

/** Retired keys stay published for this long: far beyond the longest token lifetime. */
const RETIRED_KEY_GRACE = '1 day';
/** Serialises key creation between processes starting together on one PostgreSQL. */
const SIGNING_KEY_LOCK = 7_206_144_003;
const COOKIE_SECRET_NAME = 'oidc-cookie-key';
const MIN_RSA_BITS = 2048;

export async function loadSigningKeys(db: Database, configuredKey?: unknown): Promise<SigningKeys> {
  if (configuredKey !== undefined) {
    const key = await normaliseConfiguredKey(configuredKey);
    return { active: key, all: [key] };
  }
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK]);
    let keys = await storedKeys(tx);
    if (!keys.some((key) => !key.retired)) {
      await insertKey(tx, await generateSigningKey());
      keys = await storedKeys(tx);
    }
    const active = keys.find((key) => !key.retired);
    if (active === undefined) throw new Error('No active signing key after creating one');
    return {
      active: active.jwk,
      all: [active.jwk, ...keys.filter((key) => key !== active).map((key) => key.jwk)],
    };
  });
}

/**
 * Starts signing with a new key and retires the current ones (still published for a day, so
 * tokens they signed stay valid). Processes pick the new key up when they restart.
 */
export async function rotateSigningKey(db: Database): Promise<PublicSigningJwk> {
  const key = await generateSigningKey();
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK]);
    await tx.query('update identity_signing_key set retired_at = now() where retired_at is null');
    await insertKey(tx, key);
  });
  return toPublicJwk(key);
}

export function toPublicJwk(key: PrivateSigningJwk): PublicSigningJwk {
  const exported = createPublicKey({ key: key, format: 'jwk' }).export({ format: 'jwk' });
  return { ...exported, kid: key.kid, alg: key.alg, use: 'sig' };
}

export function publicJwks(keys: SigningKeys): { keys: PublicSigningJwk[] } {
  return { keys: keys.all.map(toPublicJwk) };
}

/**
 * Secrets that sign oidc-provider's cookies: from configuration when given, otherwise generated
 * once and kept in the database so every process and restart accepts the same cookies.
 */
export async function loadCookieKeys(db: Database, configured?: readonly string[]): Promise<string[]> {
  if (configured !== undefined && configured.length > 0) return [...configured];
  await db.query('insert into identity_secret (name, value) values ($1, $2) on conflict (name) do nothing', [
    COOKIE_SECRET_NAME,
    randomBytes(32).toString('base64url'),
  ]);
  const { rows } = await db.query<{ value: string }>('select value from identity_secret where name = $1', [
    COOKIE_SECRET_NAME,
  ]);
  const value = rows[0]?.value;
  if (value === undefined) throw new Error('The cookie-signing secret could not be stored');
  return [value];
}

interface StoredKey {
  jwk: PrivateSigningJwk;
  retired: boolean;
}

async function storedKeys(tx: SqlExecutor): Promise<StoredKey[]> {
  const { rows } = await tx.query<{ private_jwk: string; retired: boolean }>(
    `select private_jwk, retired_at is not null as retired
       from identity_signing_key
      where retired_at is null or retired_at > now() - interval '${RETIRED_KEY_GRACE}'
      order by created_at desc, kid`,
  );
  return Promise.all(
    rows.map(async (row) => ({
      jwk: await normaliseConfiguredKey(JSON.parse(row.private_jwk)),
      retired: row.retired,
    })),
  );
}

async function insertKey(tx: SqlExecutor, key: PrivateSigningJwk): Promise<void> {
  await tx.query('insert into identity_signing_key (kid, private_jwk) values ($1, $2)', [
    key.kid,
    JSON.stringify(key),
  ]);
}

async function generateSigningKey(): Promise<PrivateSigningJwk> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: await thumbprint(jwk), alg: 'ES256', use: 'sig' };
}

/**
 * Accepts an EC P-256 (ES256) or RSA ≥ 2048-bit (RS256) private JWK, as configuration or storage
 * holds it, and fills in `kid` (its RFC 7638 thumbprint when absent), `alg` and `use`.
 */
export async function normaliseConfiguredKey(value: unknown): Promise<PrivateSigningJwk> {
  const parsed = typeof value === 'string' ? parseJson(value) : value;
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Error('The signing key must be a private JWK (a JSON object)');
  }
  const jwk = parsed as JsonWebKey & { kid?: unknown; alg?: unknown };
  if (typeof jwk.d !== 'string') throw new Error('The signing key must be a private JWK (it has no "d")');
  let alg: SigningAlgorithm;
  try {
    const key = createPrivateKey({ key: jwk, format: 'jwk' });
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      alg = 'ES256';
    else if (
      key.asymmetricKeyType === 'rsa' &&
      (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS
    )
      alg = 'RS256';
    else throw new Error('unsupported key type');
  } catch {
    throw new Error(
      `The signing key must be an EC P-256 or an RSA (at least ${MIN_RSA_BITS}-bit) private JWK`,
    );
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new Error(`The signing key says alg "${String(jwk.alg)}" but is a ${alg} key`);
  }
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : await thumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('The signing key is not valid JSON');
  }
}

async function thumbprint(jwk: JsonWebKey): Promise<string> {
  const publicJwk = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' });
  return calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
}
