import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { base64url, decodeJwt, importJWK, SignJWT, type JWTPayload } from 'jose';
import { FhirError } from '@carebridge/domain';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import { AccessTokenError, wwwAuthenticate, type AccessTokenRefusal } from './access-token-error.js';
import {
  bearerTokenFromHeader,
  createAccessTokenVerifier,
  requireStaffPrincipal,
  type AccessTokenVerifier,
} from './access-token-verifier.js';
import { seedDemoAccounts } from './accounts.js';
import { mintDemoAccessToken } from './demo-token.js';
import { loadSigningKeys, publicJwks, type PrivateSigningJwk } from './signing-keys.js';

const ISSUER = 'https://carebridge.test/auth';
const AUDIENCE = 'https://carebridge.test/fhir';
const TEST_SCRYPT = { cost: 2 ** 10, blockSize: 8, parallelization: 1 };

async function refusal(promise: Promise<unknown>): Promise<AccessTokenError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AccessTokenError) return error;
    throw error;
  }
  assert.fail('expected the token to be refused');
}

async function assertRefused(promise: Promise<unknown>, reason: AccessTokenRefusal): Promise<void> {
  assert.equal((await refusal(promise)).reason, reason);
}

for (const kind of testDatabaseKinds()) {
  describe(`embedded access-token verification (${kind})`, () => {
    let database: TestDatabase;
    let signingKey: PrivateSigningJwk;
    let verifier: AccessTokenVerifier;

    /** A token shaped like the embedded provider's, with claims overridden as a test needs. */
    async function token(
      claims: JWTPayload = {},
      options: { key?: PrivateSigningJwk; typ?: string; expiresIn?: string } = {},
    ): Promise<string> {
      const key = options.key ?? signingKey;
      return new SignJWT({
        role: 'gp',
        name: 'Dr Priya Sharma',
        organization_id: 'org-y99901',
        ods_code: 'Y99901',
        practitioner_id: 'prac-demo-gp',
        practitioner_role_id: 'role-demo-gp',
        fhirUser: 'PractitionerRole/role-demo-gp',
        client_id: 'carebridge-web',
        scope: 'openid user/*.cruds',
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: signingKey.kid, typ: options.typ ?? 'at+jwt' })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
        .setAudience(claims.aud ?? AUDIENCE)
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'demo-gp')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '15m')
        .sign(await importJWK(key, key.alg));
    }

    before(async () => {
      database = await createTestDatabase(kind);
      await seedDemoAccounts(database.db, { scrypt: TEST_SCRYPT });
      const keys = await loadSigningKeys(database.db);
      signingKey = keys.active;
      verifier = createAccessTokenVerifier({
        mode: 'embedded',
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: publicJwks(keys),
      });
    });
    after(async () => database.drop());

    it('turns a valid token into a staff principal with its organisation and scopes', async () => {
      const principal = await verifier.verify(await token());
      assert.equal(principal.kind, 'staff');
      assert.equal(principal.role, 'gp');
      assert.equal(principal.organizationId, 'org-y99901');
      assert.equal(principal.odsCode, 'Y99901');
      assert.equal(principal.practitionerRoleId, 'role-demo-gp');
      assert.equal(principal.token.issuer, ISSUER);
      assert.equal(principal.token.mode, 'embedded');
      assert.deepEqual(
        principal.scopes.map((scope) => [scope.context, scope.resourceType]),
        [['user', '*']],
      );
    });

    it('refuses an expired token, allowing only the clock tolerance', async () => {
      const expiring = await token({}, { expiresIn: '1m' });
      const { exp = 0 } = decodeJwt(expiring);
      const jwks = publicJwks(await loadSigningKeys(database.db));
      const at = (secondsAfterExpiry: number) =>
        createAccessTokenVerifier({
          mode: 'embedded',
          issuer: ISSUER,
          audience: AUDIENCE,
          jwks,
          clockToleranceSeconds: 30,
          now: () => new Date((exp + secondsAfterExpiry) * 1000),
        });
      assert.equal((await at(20).verify(expiring)).role, 'gp');
      await assertRefused(at(31).verify(expiring), 'expired');
    });

    it('refuses a token that is not valid yet', async () => {
      const future = Math.floor(Date.now() / 1000) + 600;
      await assertRefused(verifier.verify(await token({ nbf: future })), 'not-yet-valid');
    });

    it('refuses a token for another audience or from another issuer', async () => {
      await assertRefused(
        verifier.verify(await token({ aud: 'https://elsewhere.example/fhir' })),
        'wrong-audience',
      );
      await assertRefused(verifier.verify(await token({ iss: 'https://evil.example/auth' })), 'wrong-issuer');
    });

    it('refuses a tampered token whose claims no longer match the signature', async () => {
      const [header, payload, signature] = (await token()).split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      claims.role = 'admin';
      const tampered = [header, base64url.encode(JSON.stringify(claims)), signature].join('.');
      await assertRefused(verifier.verify(tampered), 'bad-signature');
    });

    it('refuses a token signed by another key posing under our key id', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const impostor = {
        ...privateKey.export({ format: 'jwk' }),
        kid: signingKey.kid,
        alg: 'ES256',
        use: 'sig',
      } as PrivateSigningJwk;
      await assertRefused(verifier.verify(await token({}, { key: impostor })), 'bad-signature');
    });

    it('refuses unsigned and symmetric-key tokens (algorithm confusion)', async () => {
      const unsigned = [
        base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' })),
        base64url.encode(JSON.stringify({ ...decodeJwt(await token()) })),
        '',
      ].join('.');
      const refusedUnsigned = await refusal(verifier.verify(unsigned));
      assert.ok(
        ['unsupported-algorithm', 'malformed-token'].includes(refusedUnsigned.reason),
        refusedUnsigned.reason,
      );

      const hmac = await new SignJWT({ ...decodeJwt(await token()) })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: signingKey.kid })
        .sign(
          new TextEncoder().encode(JSON.stringify(publicJwks(await loadSigningKeys(database.db)).keys[0])),
        );
      await assertRefused(verifier.verify(hmac), 'unsupported-algorithm');
    });

    it('refuses an ID token (or any JWT not typed at+jwt) offered as an access token', async () => {
      await assertRefused(verifier.verify(await token({}, { typ: 'JWT' })), 'wrong-token-type');
    });

    it('refuses missing, empty and malformed bearer tokens', async () => {
      await assertRefused(verifier.verify(undefined), 'no-token');
      await assertRefused(verifier.verify('  '), 'no-token');
      await assertRefused(verifier.verify('not-a-jwt'), 'malformed-token');
      assert.throws(
        () => bearerTokenFromHeader(undefined),
        (error: unknown) => error instanceof AccessTokenError && error.reason === 'no-token',
      );
      assert.throws(
        () => bearerTokenFromHeader('Basic dXNlcjpwYXNz'),
        (error: unknown) => error instanceof AccessTokenError && error.reason === 'malformed-token',
      );
      assert.equal(bearerTokenFromHeader('Bearer abc.def.ghi'), 'abc.def.ghi');
    });

    it('refuses tokens whose Carebridge claims are missing or malformed', async () => {
      await assertRefused(verifier.verify(await token({ role: 'surgeon' })), 'malformed-claim');
      await assertRefused(verifier.verify(await token({ organization_id: undefined })), 'malformed-claim');
      await assertRefused(verifier.verify(await token({ client_id: undefined })), 'malformed-claim');
      await assertRefused(verifier.verify(await token({ scope: 'user/Patient.sr' })), 'malformed-claim');
      await assertRefused(
        verifier.verify(await token({ role: 'patient', patient_id: undefined })),
        'malformed-claim',
      );
      await assertRefused(
        verifier.verify(await token({ role: 'patient', patient_id: 'pat-0001', patient: 'pat-0002' })),
        'malformed-claim',
      );
    });

    it('drops scopes of another context than the principal kind', async () => {
      const principal = await verifier.verify(
        await token({ scope: 'user/Patient.rs patient/*.cruds system/*.cruds' }),
      );
      assert.deepEqual(
        principal.scopes.map((scope) => scope.context),
        ['user'],
      );
    });

    it('mints CLI tokens for demo accounts that verify like provider-issued ones', async () => {
      const gp = await mintDemoAccessToken(database.db, {
        username: 'demo-gp',
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      assert.equal(gp.tokenType, 'Bearer');
      assert.equal(gp.expiresIn, 900);
      const staff = await verifier.verify(gp.accessToken);
      assert.equal(staff.role, 'gp');
      assert.equal(staff.clientId, 'carebridge-cli');
      assert.equal(staff.organizationId, 'org-y99901');

      const patientToken = await mintDemoAccessToken(database.db, {
        username: 'demo-patient',
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      const patient = await verifier.verify(patientToken.accessToken);
      assert.equal(patient.kind, 'patient');
      assert.equal(patient.launchPatientId, 'pat-0001');

      await assert.rejects(
        mintDemoAccessToken(database.db, { username: 'nobody', issuer: ISSUER, audience: AUDIENCE }),
        /no demo account 'nobody'/,
      );
      await assert.rejects(
        mintDemoAccessToken(database.db, {
          username: 'demo-patient',
          issuer: ISSUER,
          audience: AUDIENCE,
          scopes: 'user/*.rs',
        }),
        /cannot be granted: user\/\*\.rs/,
      );
    });

    it('marks patient sign-ins so staff-only APIs can refuse them', async () => {
      const patientToken = await mintDemoAccessToken(database.db, {
        username: 'demo-patient',
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      const patient = await verifier.verify(patientToken.accessToken);
      const error = await refusal(Promise.resolve().then(() => requireStaffPrincipal(patient)));
      assert.equal(error.reason, 'patient-token-on-staff-api');
      assert.equal(error.status, 403);
      const staff = await verifier.verify(await token());
      assert.equal(requireStaffPrincipal(staff), staff);
    });
  });
}

describe('access-token refusals as API answers', () => {
  it('answers credential problems with 401 unauthenticated and a WWW-Authenticate challenge', () => {
    const error = new AccessTokenError('expired');
    assert.ok(error instanceof FhirError);
    assert.equal(error.status, 401);
    const outcome = error.toOperationOutcome();
    assert.equal(outcome.issue[0]?.details?.coding?.[0]?.code, 'unauthenticated');
    assert.equal(outcome.issue[0]?.diagnostics, 'The token has expired.');
    assert.equal(
      wwwAuthenticate(error),
      'Bearer realm="carebridge", error="invalid_token", error_description="The token has expired."',
    );
    assert.equal(wwwAuthenticate(new AccessTokenError('no-token')), 'Bearer realm="carebridge"');
  });

  it('answers identity problems that signing in again cannot fix with 403 forbidden', () => {
    for (const reason of [
      'no-role',
      'unmapped-role',
      'unknown-organisation',
      'patient-token-on-staff-api',
    ] as const) {
      const error = new AccessTokenError(reason);
      assert.equal(error.status, 403, reason);
      assert.equal(error.toOperationOutcome().issue[0]?.details?.coding?.[0]?.code, 'forbidden');
      assert.equal(wwwAuthenticate(error), undefined);
    }
    assert.equal(new AccessTokenError('issuer-unavailable').status, 503);
  });
});
