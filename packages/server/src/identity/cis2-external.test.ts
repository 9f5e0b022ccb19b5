import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { testRangeNhsNumber } from '@carebridge/domain';
import { AccessTokenError, type AccessTokenRefusal } from './access-token-error.js';
import {
  createAccessTokenVerifier,
  requireStaffPrincipal,
  type AccessTokenVerifier,
  type ExternalVerifierConfig,
} from './access-token-verifier.js';
import { parseRoleMapping, type ResolvedOrganisation } from './cis2-roles.js';
import { loadIdentityConfig } from './identity-config.js';

/**
 * The external (CIS2-style) path, proved against a real issuer on 127.0.0.1: a minimal OpenID
 * provider that publishes discovery and a JWKS and issues signed JWTs with national RBAC claims
 * for whatever identity a test asks for. The verifier fetches the issuer's keys over HTTP, as it
 * would from NHS CIS2 (or an API gateway exchanging CIS2 sessions for JWTs).
 */
const AUDIENCE = 'https://carebridge.test/fhir';
/** The demo patient's NHS number (test range), and another valid one nobody in the directory has. */
const DEMO_NHS_NUMBER = testRangeNhsNumber(1000);
const UNKNOWN_NHS_NUMBER = testRangeNhsNumber(1001);

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

function signingKey(alg: SigningKey['alg']): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return {
    kid,
    alg,
    privateJwk: privateKey.export({ format: 'jwk' }),
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } as JsonWebKey,
  };
}

interface IssueRequest {
  claims: JWTPayload;
  /** Defaults to the issuer's published key. */
  key?: SigningKey;
  expiresInSeconds?: number;
  issuedSecondsAgo?: number;
}

/** A stand-in for CIS2: discovery, JWKS, and a token endpoint that signs what the test asks for. */
class LocalIssuer {
  readonly key = signingKey('RS256');
  jwksAvailable = true;
  private server: Server | undefined;
  private pending = new Map<string, IssueRequest>();
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.handle(request.method ?? 'GET', request.url ?? '/', request, response);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.server?.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** Obtains a token over HTTP from the issuer's token endpoint, as a client would. */
  async issue(request: IssueRequest): Promise<string> {
    const ticket = randomUUID();
    this.pending.set(ticket, request);
    const response = await fetch(`${this.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:test:issue', ticket }).toString(),
    });
    const body = (await response.json()) as { access_token: string };
    return body.access_token;
  }

  private async handle(
    method: string,
    path: string,
    request: NodeJS.ReadableStream,
    response: import('node:http').ServerResponse,
  ) {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (method === 'GET' && path === '/.well-known/openid-configuration') {
      return send(200, {
        issuer: this.url,
        jwks_uri: `${this.url}/jwks`,
        token_endpoint: `${this.url}/token`,
      });
    }
    if (method === 'GET' && path === '/jwks') {
      return this.jwksAvailable
        ? send(200, { keys: [this.key.publicJwk] })
        : send(503, { error: 'unavailable' });
    }
    if (method === 'POST' && path === '/token') {
      let text = '';
      for await (const chunk of request) text += String(chunk);
      const ticket = new URLSearchParams(text).get('ticket') ?? '';
      const issue = this.pending.get(ticket);
      this.pending.delete(ticket);
      if (issue === undefined) return send(400, { error: 'invalid_grant' });
      return send(200, { access_token: await this.sign(issue), token_type: 'Bearer' });
    }
    return send(404, { error: 'not_found' });
  }

  private async sign(issue: IssueRequest): Promise<string> {
    const key = issue.key ?? this.key;
    const now = Math.floor(Date.now() / 1000) - (issue.issuedSecondsAgo ?? 0);
    return new SignJWT({
      client_id: 'ward-app',
      jti: randomUUID(),
      iss: this.url,
      aud: AUDIENCE,
      sub: '555021935107',
      iat: now,
      exp: now + (issue.expiresInSeconds ?? 600),
      ...issue.claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: this.key.kid, typ: 'at+jwt' })
      .sign(await importJWK(key.privateJwk, key.alg));
  }
}

/** The directory the resolver consults: two demo organisations, one known to be a diagnostic centre. */
const ORGANISATIONS: Record<string, ResolvedOrganisation> = {
  Y99901: { organizationId: 'org-y99901' },
  RZZ: { organizationId: 'org-rzz' },
  FZZ01: { organizationId: 'org-fzz01' },
  NZZ: { organizationId: 'org-nzz', kind: 'diagnostic-centre' },
};

function role(personRoleId: string, orgCode: string, jobRole: string, extra: Record<string, unknown> = {}) {
  return {
    person_roleid: personRoleId,
    org_code: orgCode,
    person_orgid: '555254239107',
    role_code: `S8000:G8000:${jobRole}`,
    role_name: '"Clinical":"Clinical Provision":"Clinical Practitioner Access Role"',
    activity_codes: ['B0570', 'B0278'],
    ...extra,
  };
}

async function refusalReason(promise: Promise<unknown>): Promise<AccessTokenRefusal> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AccessTokenError) return error.reason;
    throw error;
  }
  return assert.fail('expected the token to be refused');
}

describe('external CIS2-style issuer', () => {
  const issuer = new LocalIssuer();
  let verifier: AccessTokenVerifier;

  function verifierWith(overrides: Partial<ExternalVerifierConfig> = {}): AccessTokenVerifier {
    return createAccessTokenVerifier({
      mode: 'external',
      issuer: issuer.url,
      audience: AUDIENCE,
      jwksUrl: `${issuer.url}/jwks`,
      algorithms: ['RS256'],
      clockToleranceSeconds: 60,
      resolveOrganisation: async (odsCode) => ORGANISATIONS[odsCode],
      resolvePatient: async (nhsNumber) =>
        nhsNumber === DEMO_NHS_NUMBER ? { patientId: 'pat-0001' } : undefined,
      ...overrides,
    });
  }

  const verify = async (claims: JWTPayload, options: Omit<IssueRequest, 'claims'> = {}) =>
    verifier.verify(await issuer.issue({ claims, ...options }));

  before(async () => {
    await issuer.start();
    verifier = verifierWith();
  });
  after(async () => issuer.stop());

  it('maps a single Clinical Practitioner role at a GP practice to gp, without needing a selection', async () => {
    const principal = await verify({
      name: 'Dr Ada Okafor',
      nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')],
    });
    assert.equal(principal.kind, 'staff');
    assert.equal(principal.role, 'gp');
    assert.equal(principal.subject, '555021935107');
    assert.equal(principal.displayName, 'Dr Ada Okafor');
    assert.equal(principal.organizationId, 'org-y99901');
    assert.equal(principal.odsCode, 'Y99901');
    assert.equal(principal.clientId, 'ward-app');
    assert.equal(principal.token.mode, 'external');
    assert.equal(principal.nationalRbac?.jobRoleCode, 'R8000');
    assert.deepEqual(principal.nationalRbac?.activityCodes, ['B0570', 'B0278']);
    assert.deepEqual(
      principal.scopes.map((scope) => `${scope.context}/${scope.resourceType}`),
      ['user/*'],
      'CIS2 tokens carry no SMART scopes, so the configured default applies',
    );
  });

  it('uses the selected role among several, mapping the same job role by organisation kind', async () => {
    const roles = [
      role('555021936108', 'Y99901', 'R8000'),
      role('555021936109', 'RZZ', 'R8000'),
      role('555021936110', 'NZZ', 'R8000'),
    ];
    const atTrust = await verify({ nhsid_nrbac_roles: roles, selected_roleid: '555021936109' });
    assert.equal(atTrust.role, 'consultant');
    assert.equal(atTrust.organizationId, 'org-rzz');
    const atDiagnostics = await verify({ nhsid_nrbac_roles: roles, selected_roleid: '555021936110' });
    assert.equal(atDiagnostics.role, 'diagnostics', 'the directory says NZZ is a diagnostic centre');
  });

  it('refuses several roles with none selected (401: sign in again and choose)', async () => {
    const roles = [role('555021936108', 'Y99901', 'R8000'), role('555021936109', 'RZZ', 'R8000')];
    assert.equal(await refusalReason(verify({ nhsid_nrbac_roles: roles })), 'role-not-selected');
  });

  it('refuses a selected role the user does not hold', async () => {
    const roles = [role('555021936108', 'Y99901', 'R8000'), role('555021936109', 'RZZ', 'R8000')];
    assert.equal(
      await refusalReason(verify({ nhsid_nrbac_roles: roles, selected_roleid: '999999999999' })),
      'selected-role-not-held',
    );
  });

  it('refuses a user with no roles (403: signing in again will not help)', async () => {
    assert.equal(await refusalReason(verify({})), 'no-role');
    assert.equal(await refusalReason(verify({ nhsid_nrbac_roles: [] })), 'no-role');
    assert.equal(
      await refusalReason(verify({ nhsid_nrbac_roles: [], selected_roleid: '555021936108' })),
      'no-role',
    );
  });

  it('refuses malformed role claims', async () => {
    const cases: JWTPayload[] = [
      { nhsid_nrbac_roles: 'R8000' },
      { nhsid_nrbac_roles: [{ org_code: 'Y99901', role_code: 'S8000:G8000:R8000' }] },
      { nhsid_nrbac_roles: [role('', 'Y99901', 'R8000')] },
      { nhsid_nrbac_roles: [role('555021936108', 'not an ods code', 'R8000')] },
      {
        nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000', { role_code: 'Clinical Practitioner' })],
      },
      { nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000', { role_code: 'S8000:G8000' })] },
      { nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000', { activity_codes: 'B0570' })] },
      { nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')], selected_roleid: '' },
      { nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')], selected_roleid: 42 },
    ];
    for (const claims of cases) {
      assert.equal(await refusalReason(verify(claims)), 'malformed-claim', JSON.stringify(claims));
    }
  });

  it('refuses a role at an organisation Carebridge does not know', async () => {
    const reason = await refusalReason(
      verify({ nhsid_nrbac_roles: [role('555021936108', 'Y12345', 'R8000')] }),
    );
    assert.equal(reason, 'unknown-organisation');
  });

  it('refuses a national job role that maps to no Carebridge role, unless configured', async () => {
    const secretaryAtPractice = { nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R1740')] };
    assert.equal(await refusalReason(verify(secretaryAtPractice)), 'unmapped-role');
    const configured = verifierWith({
      roleMapping: parseRoleMapping([
        { jobRoleCode: 'R1740', organisationKinds: ['gp-practice'], role: 'practice-admin' },
      ]),
    });
    const principal = await configured.verify(await issuer.issue({ claims: secretaryAtPractice }));
    assert.equal(principal.role, 'practice-admin');
  });

  it('maps the privacy officer job role at any organisation', async () => {
    const principal = await verify({ nhsid_nrbac_roles: [role('555021936111', 'RZZ', 'R0001')] });
    assert.equal(principal.role, 'privacy-officer');
  });

  it('takes SMART user/ scopes from the token when it has them, ignoring other contexts', async () => {
    const principal = await verify({
      scope: 'openid nationalrbacaccess user/Patient.rs patient/*.cruds system/*.cruds',
      nhsid_nrbac_roles: [role('555021936108', 'FZZ01', 'R8000')],
    });
    assert.equal(principal.role, 'pharmacist');
    assert.deepEqual(
      principal.scopes.map((scope) => `${scope.context}/${scope.resourceType}`),
      ['user/Patient'],
    );
    assert.equal(
      await refusalReason(
        verify({ scope: 'user/Patient.sr', nhsid_nrbac_roles: [role('555021936108', 'FZZ01', 'R8000')] }),
      ),
      'malformed-claim',
    );
  });

  it('recognises a patient (NHS login-style) token and lets staff APIs refuse it', async () => {
    const patient = await verify({
      nhs_number: DEMO_NHS_NUMBER,
      identity_proofing_level: 'P9',
      scope: 'openid',
    });
    assert.equal(patient.kind, 'patient');
    assert.equal(patient.role, 'patient');
    assert.equal(patient.patientId, 'pat-0001');
    assert.equal(patient.launchPatientId, 'pat-0001');
    assert.throws(
      () => requireStaffPrincipal(patient),
      (error: unknown) =>
        error instanceof AccessTokenError &&
        error.reason === 'patient-token-on-staff-api' &&
        error.status === 403,
    );
    assert.equal(
      await refusalReason(verify({ nhs_number: UNKNOWN_NHS_NUMBER, identity_proofing_level: 'P9' })),
      'unknown-patient',
    );
    assert.equal(
      await refusalReason(verify({ nhs_number: '1234567890', identity_proofing_level: 'P9' })),
      'malformed-claim',
    );
    assert.equal(
      await refusalReason(verify({ nhs_number: DEMO_NHS_NUMBER, identity_proofing_level: 'P5' })),
      'insufficient-identity-assurance',
      'P5 (unverified) sign-ins do not reach health records',
    );
    assert.equal(
      await refusalReason(verify({ nhs_number: DEMO_NHS_NUMBER })),
      'insufficient-identity-assurance',
    );
    const withoutPatientDirectory = verifierWith({ resolvePatient: undefined });
    const token = await issuer.issue({
      claims: { nhs_number: DEMO_NHS_NUMBER, identity_proofing_level: 'P9' },
    });
    assert.equal(await refusalReason(withoutPatientDirectory.verify(token)), 'unknown-patient');
  });

  it('refuses tokens whose signature does not verify against the published keys', async () => {
    const impostor = signingKey('RS256');
    const reason = await refusalReason(
      verify({ nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')] }, { key: impostor }),
    );
    assert.equal(reason, 'bad-signature');
  });

  it('refuses algorithms outside the configured list', async () => {
    const ellipticIssuerKey = signingKey('ES256');
    const reason = await refusalReason(
      verify({ nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')] }, { key: ellipticIssuerKey }),
    );
    assert.equal(reason, 'unsupported-algorithm');
  });

  it('refuses the wrong issuer or audience', async () => {
    const roles = [role('555021936108', 'Y99901', 'R8000')];
    assert.equal(
      await refusalReason(verify({ nhsid_nrbac_roles: roles, iss: 'https://am.nhsidentity.example' })),
      'wrong-issuer',
    );
    assert.equal(
      await refusalReason(verify({ nhsid_nrbac_roles: roles, aud: 'https://other-api.example' })),
      'wrong-audience',
    );
  });

  it('refuses expired and not-yet-valid tokens beyond a clock tolerance of at most 60 seconds', async () => {
    const roles = [role('555021936108', 'Y99901', 'R8000')];
    const justExpired = await verify(
      { nhsid_nrbac_roles: roles },
      { issuedSecondsAgo: 630, expiresInSeconds: 600 },
    );
    assert.equal(justExpired.role, 'gp', 'expired 30 s ago is within the tolerance');
    assert.equal(
      await refusalReason(
        verify({ nhsid_nrbac_roles: roles }, { issuedSecondsAgo: 700, expiresInSeconds: 600 }),
      ),
      'expired',
    );
    const future = Math.floor(Date.now() / 1000) + 300;
    assert.equal(await refusalReason(verify({ nhsid_nrbac_roles: roles, nbf: future })), 'not-yet-valid');
    assert.throws(() => verifierWith({ clockToleranceSeconds: 120 }), /0–60 seconds/);
  });

  it('refuses a token naming no client', async () => {
    const reason = await refusalReason(
      verify({ client_id: undefined, nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')] }),
    );
    assert.equal(reason, 'malformed-claim');
  });

  it('answers 503 when the issuer keys cannot be fetched', async () => {
    const token = await issuer.issue({
      claims: { nhsid_nrbac_roles: [role('555021936108', 'Y99901', 'R8000')] },
    });
    issuer.jwksAvailable = false;
    try {
      const coldVerifier = verifierWith();
      const error = await coldVerifier.verify(token).then(
        () => assert.fail('expected a refusal'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof AccessTokenError);
      assert.equal(error.reason, 'issuer-unavailable');
      assert.equal(error.status, 503);
    } finally {
      issuer.jwksAvailable = true;
    }
  });

  it('reads its external settings, including a role mapping, from the environment', () => {
    const config = loadIdentityConfig({
      IDENTITY_MODE: 'external',
      IDENTITY_ISSUER:
        'https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk:443/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare',
      IDENTITY_JWKS_URL:
        'https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare/connect/jwk_uri',
      IDENTITY_ROLE_MAP: JSON.stringify([{ jobRoleCode: 'R5007', role: 'admin' }]),
      IDENTITY_CLOCK_TOLERANCE: '45',
    });
    assert.equal(config.mode, 'external');
    if (config.mode !== 'external') return;
    assert.equal(config.clockToleranceSeconds, 45);
    assert.deepEqual(config.roleMapping, [{ jobRoleCode: 'R5007', role: 'admin' }]);
    assert.deepEqual(config.algorithms, ['RS256', 'PS256', 'ES256']);
    assert.throws(
      () => loadIdentityConfig({ IDENTITY_MODE: 'external', IDENTITY_JWKS_URL: 'https://x.example/jwks' }),
      /IDENTITY_ISSUER is required/,
    );
    assert.throws(
      () =>
        loadIdentityConfig({
          IDENTITY_MODE: 'external',
          IDENTITY_ISSUER: 'https://x',
          IDENTITY_JWKS_URL: 'https://x/jwks',
          IDENTITY_CLOCK_TOLERANCE: '300',
        }),
      /IDENTITY_CLOCK_TOLERANCE/,
    );
    assert.throws(
      () =>
        loadIdentityConfig({
          IDENTITY_MODE: 'external',
          IDENTITY_ISSUER: 'https://x',
          IDENTITY_JWKS_URL: 'https://x/jwks',
          IDENTITY_ALGORITHMS: 'HS256',
        }),
      /may not include 'HS256'/,
    );
    assert.throws(() => parseRoleMapping([{ jobRoleCode: 'R8000', role: 'patient' }]), /staff role/);
  });
});
