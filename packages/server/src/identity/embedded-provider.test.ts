import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import { AccessTokenError, wwwAuthenticate } from './access-token-error.js';
import { listDemoSystemClients, seedDemoAccounts } from './accounts.js';
import type { AccessTokenVerifier } from './access-token-verifier.js';
import { registerIdentity, type PreparedIdentity } from './index.js';
import { loadIdentityConfig } from './identity-config.js';

/** Cheap scrypt for tests: the cost parameters are stored with each hash, so verification is unaffected. */
const TEST_SCRYPT = { cost: 2 ** 10, blockSize: 8, parallelization: 1 };
const REDIRECT_PATH = '/app/callback';
const SYSTEM_CLIENT_SECRET = 'a-configured-secret-that-is-long-enough-1234';

/** A browser's cookie handling, reduced to what the sign-in flow needs. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Harness {
  app: FastifyInstance;
  database: TestDatabase;
  base: string;
  identity: PreparedIdentity;
  verifier: AccessTokenVerifier;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startHarness(
  kind: Parameters<typeof createTestDatabase>[0],
  demoData = true,
): Promise<Harness> {
  const database = await createTestDatabase(kind);
  await seedDemoAccounts(database.db, { scrypt: TEST_SCRYPT });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = Fastify({ logger: false });
  const config = loadIdentityConfig({
    IDENTITY_MODE: 'embedded',
    IDENTITY_WEB_REDIRECT_PATHS: REDIRECT_PATH,
    SYSTEM_CLIENTS: JSON.stringify([
      {
        clientId: 'configured-lab-system',
        secret: SYSTEM_CLIENT_SECRET,
        allowedScopes: 'system/DiagnosticReport.cruds system/Observation.rs?category=laboratory',
        organizationId: 'org-nzz',
        odsCode: 'NZZ',
      },
    ]),
  });
  const identity = await registerIdentity(app, { db: database.db, config, publicBaseUrl: base, demoData });
  // A stand-in for a protected API route, answering refusals the way the app's error handler does.
  app.setErrorHandler((error, _request, reply) => {
    if (!(error instanceof AccessTokenError)) return reply.code(500).send({ error: 'unexpected' });
    const challenge = wwwAuthenticate(error);
    if (challenge) reply.header('www-authenticate', challenge);
    return reply.code(error.status).send(error.toOperationOutcome());
  });
  app.get('/whoami', async (request) => {
    const principal = await identity.authenticate(request);
    return { role: principal.role, organizationId: principal.organizationId };
  });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    database,
    base,
    identity,
    verifier: identity.verifier,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(base: string, overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    client_id: 'carebridge-web',
    response_type: 'code',
    redirect_uri: `${base}${REDIRECT_PATH}`,
    scope: 'openid fhirUser profile online_access user/*.cruds',
    state: 'state-123',
    aud: `${base}/fhir`,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const query = new URLSearchParams(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return `${base}/auth/authorize?${query}`;
}

async function get(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.store(response);
  return response;
}

async function postForm(
  url: string,
  form: Record<string, string>,
  jar?: CookieJar,
  headers = {},
): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar?.header() ?? '', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  jar?.store(response);
  return response;
}

/** Fills in and submits the sign-in form as a browser would: the page's hidden CSRF token goes back with it. */
async function submitSignIn(
  interactionUrl: string,
  fields: { username: string; password: string },
  jar: CookieJar,
): Promise<Response> {
  const page = await (await get(interactionUrl, jar)).text();
  return postForm(interactionUrl, { ...fields, _csrf: csrfTokenIn(page) }, jar);
}

function csrfTokenIn(html: string): string {
  const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(html)?.[1];
  assert.ok(token, 'the sign-in form carries a CSRF token');
  return token;
}

function absolute(base: string, location: string | null): string {
  assert.ok(location, 'expected a redirect');
  return new URL(location, base).toString();
}

/** Drives the browser part of the flow: authorize, sign in through the HTML form, follow redirects. */
async function signIn(
  harness: Harness,
  username: string,
  options: { scope?: string; challenge: string; prompt?: string },
): Promise<URL> {
  const jar = new CookieJar();
  const extra = {
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
  };
  const start = await get(authorizeUrl(harness.base, { ...extra, code_challenge: options.challenge }), jar);
  assert.equal(start.status, 303);
  const interactionUrl = absolute(harness.base, start.headers.get('location'));
  assert.match(interactionUrl, /\/auth\/interaction\/[\w-]+$/);
  const signedIn = await submitSignIn(interactionUrl, { username, password: 'demo' }, jar);
  assert.equal(signedIn.status, 303, await signedIn.text());
  // Back to the provider, through any further interaction (consent is granted without a page), to the app.
  let location = absolute(harness.base, signedIn.headers.get('location'));
  for (let hop = 0; hop < 5 && !location.startsWith(`${harness.base}${REDIRECT_PATH}`); hop += 1) {
    const response = await get(location, jar);
    assert.equal(response.status, 303, `${location} answered ${response.status}`);
    location = absolute(harness.base, response.headers.get('location'));
  }
  return new URL(location);
}

async function exchangeCode(harness: Harness, code: string, verifier?: string): Promise<Response> {
  return postForm(`${harness.base}/auth/token`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: `${harness.base}${REDIRECT_PATH}`,
    client_id: 'carebridge-web',
    ...(verifier === undefined ? {} : { code_verifier: verifier }),
  });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

function basic(clientId: string, secret: string): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  };
}

for (const kind of testDatabaseKinds()) {
  describe(`embedded identity provider (${kind})`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startHarness(kind);
    });
    after(async () => harness.close());

    it('signs demo-gp in through the NHS.UK form, exchanges the code with the PKCE verifier, and refreshes', async () => {
      const { verifier, challenge } = pkce();
      const callback = await signIn(harness, 'demo-gp', { challenge });
      assert.equal(`${callback.origin}${callback.pathname}`, `${harness.base}${REDIRECT_PATH}`);
      assert.equal(callback.searchParams.get('state'), 'state-123');
      assert.equal(callback.searchParams.get('iss'), `${harness.base}/auth`);
      const code = callback.searchParams.get('code');
      assert.ok(code, callback.toString());

      const tokenResponse = await exchangeCode(harness, code, verifier);
      assert.equal(tokenResponse.status, 200);
      assert.equal(tokenResponse.headers.get('cache-control'), 'no-store');
      const tokens = await json(tokenResponse);
      assert.equal(tokens.token_type, 'Bearer');
      assert.equal(tokens.expires_in, 900);
      assert.equal(typeof tokens.refresh_token, 'string');
      assert.equal(typeof tokens.id_token, 'string');
      assert.equal(tokens.patient, undefined, 'staff get no patient context');
      assert.deepEqual(String(tokens.scope).split(' ').sort(), [
        'fhirUser',
        'online_access',
        'openid',
        'profile',
        'user/*.cruds',
      ]);

      const accessToken = String(tokens.access_token);
      assert.equal(decodeProtectedHeader(accessToken).typ, 'at+jwt');
      const claims = decodeJwt(accessToken);
      assert.equal(claims.iss, `${harness.base}/auth`);
      assert.equal(claims.aud, `${harness.base}/fhir`);
      assert.equal(claims.sub, 'demo-gp');
      assert.equal(claims.client_id, 'carebridge-web');
      assert.equal(claims.fhirUser, 'PractitionerRole/role-demo-gp');
      assert.equal(claims.ods_code, 'Y99901');
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900);

      const principal = await harness.verifier.verify(accessToken);
      assert.equal(principal.kind, 'staff');
      assert.equal(principal.role, 'gp');
      assert.equal(principal.subject, 'demo-gp');
      assert.equal(principal.displayName, 'Dr Priya Sharma');
      assert.equal(principal.organizationId, 'org-y99901');
      assert.equal(principal.practitionerId, 'prac-demo-gp');
      assert.equal(principal.practitionerRoleId, 'role-demo-gp');
      assert.equal(principal.clientId, 'carebridge-web');
      assert.deepEqual(
        principal.scopes.map(
          (scope) => `${scope.context}/${scope.resourceType}.${[...scope.permissions].join('')}`,
        ),
        ['user/*.cruds'],
      );

      const idToken = decodeJwt(String(tokens.id_token));
      assert.equal(idToken.aud, 'carebridge-web');
      assert.equal(idToken.fhirUser, 'PractitionerRole/role-demo-gp');
      assert.equal(idToken.role, 'gp');
      await assert.rejects(
        harness.verifier.verify(String(tokens.id_token)),
        (error: unknown) =>
          error instanceof AccessTokenError && ['wrong-token-type', 'wrong-audience'].includes(error.reason),
      );

      const refreshed = await postForm(`${harness.base}/auth/token`, {
        grant_type: 'refresh_token',
        refresh_token: String(tokens.refresh_token),
        client_id: 'carebridge-web',
      });
      assert.equal(refreshed.status, 200);
      const rotated = await json(refreshed);
      assert.notEqual(rotated.refresh_token, tokens.refresh_token, 'refresh tokens rotate on use');
      assert.notEqual(rotated.access_token, tokens.access_token);
      assert.equal((await harness.verifier.verify(String(rotated.access_token))).role, 'gp');

      // Replaying the spent refresh token is refused and revokes the grant, new refresh token included.
      const replay = await postForm(`${harness.base}/auth/token`, {
        grant_type: 'refresh_token',
        refresh_token: String(tokens.refresh_token),
        client_id: 'carebridge-web',
      });
      assert.equal(replay.status, 400);
      assert.equal((await json(replay)).error, 'invalid_grant');
      const afterReplay = await postForm(`${harness.base}/auth/token`, {
        grant_type: 'refresh_token',
        refresh_token: String(rotated.refresh_token),
        client_id: 'carebridge-web',
      });
      assert.equal((await json(afterReplay)).error, 'invalid_grant');

      const codeReuse = await exchangeCode(harness, code, verifier);
      assert.equal((await json(codeReuse)).error, 'invalid_grant', 'an authorization code works once');
    });

    it('issues a refresh token for offline_access only when consent is prompted for, as OpenID Connect requires', async () => {
      const scope = 'openid offline_access user/*.rs';
      const withoutPrompt = pkce();
      const plain = await signIn(harness, 'demo-secretary', { challenge: withoutPrompt.challenge, scope });
      const plainTokens = await json(
        await exchangeCode(harness, plain.searchParams.get('code') ?? '', withoutPrompt.verifier),
      );
      assert.equal(plainTokens.refresh_token, undefined);
      assert.equal(plainTokens.scope, 'openid user/*.rs');

      const withConsent = pkce();
      const consented = await signIn(harness, 'demo-secretary', {
        challenge: withConsent.challenge,
        scope,
        prompt: 'consent',
      });
      const tokens = await json(
        await exchangeCode(harness, consented.searchParams.get('code') ?? '', withConsent.verifier),
      );
      assert.equal(typeof tokens.refresh_token, 'string');
      assert.deepEqual(String(tokens.scope).split(' ').sort(), ['offline_access', 'openid', 'user/*.rs']);
      assert.equal((await harness.verifier.verify(String(tokens.access_token))).role, 'secretary');
    });

    it('authenticates API requests by their bearer token and answers refusals with 401 and a challenge', async () => {
      const { verifier, challenge } = pkce();
      const callback = await signIn(harness, 'demo-diagnostics', { challenge });
      const tokens = await json(
        await exchangeCode(harness, callback.searchParams.get('code') ?? '', verifier),
      );
      const ok = await fetch(`${harness.base}/whoami`, {
        headers: { authorization: `Bearer ${String(tokens.access_token)}` },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { role: 'diagnostics', organizationId: 'org-nzz' });

      const missing = await fetch(`${harness.base}/whoami`);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="carebridge"');
      const outcome = (await missing.json()) as {
        issue: Array<{ details: { coding: Array<{ code: string }> } }>;
      };
      assert.equal(outcome.issue[0]?.details.coding[0]?.code, 'unauthenticated');

      const idToken = await fetch(`${harness.base}/whoami`, {
        headers: { authorization: `Bearer ${String(tokens.id_token)}` },
      });
      assert.equal(idToken.status, 401);
      assert.match(idToken.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('gives the demo patient a patient launch context and only patient/ scopes', async () => {
      const { verifier, challenge } = pkce();
      const callback = await signIn(harness, 'demo-patient', {
        challenge,
        scope: 'openid fhirUser launch/patient patient/*.rs user/*.rs',
      });
      const tokens = await json(
        await exchangeCode(harness, callback.searchParams.get('code') ?? '', verifier),
      );
      assert.equal(tokens.patient, 'pat-0001');
      assert.deepEqual(String(tokens.scope).split(' ').sort(), [
        'fhirUser',
        'launch/patient',
        'openid',
        'patient/*.rs',
      ]);
      const principal = await harness.verifier.verify(String(tokens.access_token));
      assert.equal(principal.kind, 'patient');
      assert.equal(principal.role, 'patient');
      assert.equal(principal.patientId, 'pat-0001');
      assert.equal(principal.launchPatientId, 'pat-0001');
      assert.equal(principal.organizationId, undefined, 'a patient acts for no organisation');
      assert.deepEqual(
        principal.scopes.map((scope) => scope.context),
        ['patient'],
      );
      assert.equal(decodeJwt(String(tokens.access_token)).fhirUser, 'Patient/pat-0001');
    });

    it('does not give staff a patient context when they ask for launch/patient', async () => {
      const { verifier, challenge } = pkce();
      const callback = await signIn(harness, 'demo-consultant', {
        challenge,
        scope: 'openid launch/patient patient/*.rs user/*.rs',
      });
      const tokens = await json(
        await exchangeCode(harness, callback.searchParams.get('code') ?? '', verifier),
      );
      assert.equal(tokens.patient, undefined);
      assert.deepEqual(String(tokens.scope).split(' ').sort(), ['openid', 'user/*.rs']);
      const principal = await harness.verifier.verify(String(tokens.access_token));
      assert.equal(principal.role, 'consultant');
      assert.equal(principal.organizationId, 'org-rzz');
    });

    it('refuses an authorization request with the plain PKCE method', async () => {
      const response = await get(
        authorizeUrl(harness.base, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }),
        new CookieJar(),
      );
      assert.equal(response.status, 303);
      const location = new URL(absolute(harness.base, response.headers.get('location')));
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(location.searchParams.get('error_description') ?? '', /code_challenge_method/);
    });

    it('refuses an authorization request without a PKCE challenge', async () => {
      const response = await get(
        authorizeUrl(harness.base, { code_challenge: undefined, code_challenge_method: undefined }),
        new CookieJar(),
      );
      const location = new URL(absolute(harness.base, response.headers.get('location')));
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
    });

    it('refuses an authorization request naming another FHIR server as aud', async () => {
      const response = await get(
        authorizeUrl(harness.base, {
          code_challenge: pkce().challenge,
          aud: 'https://elsewhere.example/fhir',
        }),
        new CookieJar(),
      );
      const location = new URL(absolute(harness.base, response.headers.get('location')));
      assert.equal(location.searchParams.get('error'), 'invalid_request');
    });

    it('refuses an authorization request with a malformed SMART scope', async () => {
      const response = await get(
        authorizeUrl(harness.base, { code_challenge: pkce().challenge, scope: 'openid user/Patient.sr' }),
        new CookieJar(),
      );
      const location = new URL(absolute(harness.base, response.headers.get('location')));
      assert.equal(location.searchParams.get('error'), 'invalid_scope');
      assert.match(location.searchParams.get('error_description') ?? '', /order c, r, u, d, s/);
    });

    it('refuses a code exchange without the verifier, or with the wrong one', async () => {
      const { verifier, challenge } = pkce();
      const callback = await signIn(harness, 'demo-gp', { challenge });
      const code = callback.searchParams.get('code') ?? '';
      const missing = await exchangeCode(harness, code);
      assert.equal(missing.status, 400);
      assert.equal((await json(missing)).error, 'invalid_grant');

      const second = pkce();
      const other = await signIn(harness, 'demo-gp', { challenge: second.challenge });
      const wrong = await exchangeCode(harness, other.searchParams.get('code') ?? '', verifier);
      assert.equal((await json(wrong)).error, 'invalid_grant');
    });

    it("refuses a sign-in form posted without its CSRF token, or with another sign-in's token", async () => {
      const jar = new CookieJar();
      const start = await get(authorizeUrl(harness.base, { code_challenge: pkce().challenge }), jar);
      const interactionUrl = absolute(harness.base, start.headers.get('location'));
      const page = await get(interactionUrl, jar);
      const cookie = page.headers.getSetCookie().find((line) => line.startsWith('cb_form='));
      assert.match(cookie ?? '', /SameSite=Strict/i);
      assert.match(cookie ?? '', /HttpOnly/i);

      const forged = await postForm(interactionUrl, { username: 'demo-gp', password: 'demo' }, jar);
      assert.equal(forged.status, 403);
      assert.match(await forged.text(), /Your sign-in form has expired/);

      // A token from another sign-in in the same browser (same form secret) is bound to that sign-in.
      const otherStart = await get(authorizeUrl(harness.base, { code_challenge: pkce().challenge }), jar);
      const otherUrl = absolute(harness.base, otherStart.headers.get('location'));
      assert.notEqual(otherUrl, interactionUrl);
      const otherToken = csrfTokenIn(await (await get(otherUrl, jar)).text());
      const swapped = await postForm(
        interactionUrl,
        { username: 'demo-gp', password: 'demo', _csrf: otherToken },
        jar,
      );
      assert.equal(swapped.status, 403);

      const genuine = await submitSignIn(otherUrl, { username: 'demo-gp', password: 'demo' }, jar);
      assert.equal(genuine.status, 303, 'the real form still signs in');
    });

    it('re-renders the sign-in page with an error summary, "Error:" title and linked field errors', async () => {
      const jar = new CookieJar();
      const start = await get(authorizeUrl(harness.base, { code_challenge: pkce().challenge }), jar);
      const interactionUrl = absolute(harness.base, start.headers.get('location'));
      const blank = await get(interactionUrl, jar);
      const html = await blank.text();
      assert.match(html, /<title>Sign in – Carebridge<\/title>/);
      assert.match(html, /<label class="nhsuk-label" for="username">Username<\/label>/);
      assert.match(html, /<label class="nhsuk-label" for="password">Password<\/label>/);
      assert.match(html, /id="username"[^>]*autocomplete="username"[^>]*aria-describedby="username-hint"/);
      assert.match(html, /type="password" autocomplete="current-password"/);
      assert.match(html, /href="#maincontent">Skip to main content/);
      assert.match(html, /<html lang="en-GB">/);
      assert.match(html, /demo-privacy-officer/, 'demo accounts are listed while demo data is on');
      assert.doesNotMatch(html, /nhsuk-error-summary/);
      assert.match(blank.headers.get('content-security-policy') ?? '', /script-src 'self'/);

      const empty = await submitSignIn(interactionUrl, { username: '', password: '' }, jar);
      assert.equal(empty.status, 400);
      const emptyHtml = await empty.text();
      assert.match(emptyHtml, /<title>Error: Sign in – Carebridge<\/title>/);
      assert.match(emptyHtml, /class="nhsuk-error-summary"[^>]*tabindex="-1"[^>]*autofocus/);
      assert.match(emptyHtml, /<a href="#username">Enter your username<\/a>/);
      assert.match(emptyHtml, /<a href="#password">Enter your password<\/a>/);
      assert.match(emptyHtml, /aria-describedby="username-hint username-error"/);
      assert.match(emptyHtml, /<span class="nhsuk-u-visually-hidden">Error: <\/span>Enter your password/);

      const wrong = await submitSignIn(
        interactionUrl,
        { username: 'demo-gp', password: 'not-the-password' },
        jar,
      );
      assert.equal(wrong.status, 400);
      const wrongHtml = await wrong.text();
      assert.match(wrongHtml, /<a href="#username">Enter a correct username and password<\/a>/);
      assert.match(wrongHtml, /value="demo-gp"/, 'the username is kept');
      assert.doesNotMatch(wrongHtml, /not-the-password/, 'the password is never echoed');

      const unknown = await submitSignIn(interactionUrl, { username: 'nobody', password: 'demo' }, jar);
      assert.match(
        await unknown.text(),
        /Enter a correct username and password/,
        'unknown users get the same message',
      );
    });

    it('answers a sign-in page request without its interaction cookie with a timed-out page', async () => {
      const jar = new CookieJar();
      const start = await get(authorizeUrl(harness.base, { code_challenge: pkce().challenge }), jar);
      const response = await get(absolute(harness.base, start.headers.get('location')), new CookieJar());
      assert.equal(response.status, 400);
      assert.match(await response.text(), /<title>Error: Your sign-in has timed out – Carebridge<\/title>/);
    });

    it("issues client-credentials tokens only for a system client's allowed scopes", async () => {
      const pharmacy = (await listDemoSystemClients(harness.database.db)).find(
        (client) => client.clientId === 'demo-pharmacy-system',
      );
      assert.ok(pharmacy);
      const allowed = await postForm(
        `${harness.base}/auth/token`,
        { grant_type: 'client_credentials', scope: 'system/MedicationRequest.rs system/Task.r' },
        undefined,
        basic(pharmacy.clientId, pharmacy.secret),
      );
      const tokens = await json(allowed);
      assert.equal(allowed.status, 200, JSON.stringify(tokens));
      assert.equal(tokens.refresh_token, undefined);
      assert.equal(tokens.scope, 'system/MedicationRequest.rs system/Task.r');
      const principal = await harness.verifier.verify(String(tokens.access_token));
      assert.equal(principal.kind, 'system');
      assert.equal(principal.role, 'system');
      assert.equal(principal.subject, pharmacy.clientId);
      assert.equal(principal.clientId, pharmacy.clientId);
      assert.equal(principal.organizationId, 'org-fzz01');
      assert.equal(principal.odsCode, 'FZZ01');
      assert.deepEqual(
        principal.scopes.map((scope) => scope.resourceType),
        ['MedicationRequest', 'Task'],
      );

      for (const scope of [
        'system/Observation.rs',
        'system/Task.cruds',
        'system/*.rs',
        'user/Patient.rs',
        'openid',
        '',
      ]) {
        const refused = await postForm(
          `${harness.base}/auth/token`,
          { grant_type: 'client_credentials', scope },
          undefined,
          basic(pharmacy.clientId, pharmacy.secret),
        );
        assert.equal(refused.status, 400, scope);
        assert.equal((await json(refused)).error, 'invalid_scope', scope);
      }

      const badSecret = await postForm(
        `${harness.base}/auth/token`,
        { grant_type: 'client_credentials', scope: 'system/Patient.rs' },
        undefined,
        basic(pharmacy.clientId, 'wrong-secret'),
      );
      assert.equal(badSecret.status, 401);
      assert.equal((await json(badSecret)).error, 'invalid_client');
    });

    it('honours a configured system client, including a filtered allowed scope', async () => {
      const credentials = basic('configured-lab-system', SYSTEM_CLIENT_SECRET);
      const filtered = await postForm(
        `${harness.base}/auth/token`,
        {
          grant_type: 'client_credentials',
          scope: 'system/Observation.rs?category=laboratory system/DiagnosticReport.c',
        },
        undefined,
        credentials,
      );
      assert.equal(filtered.status, 200);
      const principal = await harness.verifier.verify(String((await json(filtered)).access_token));
      assert.equal(principal.organizationId, 'org-nzz');
      assert.deepEqual(principal.scopes[0]?.filter, [['category', 'laboratory']]);

      const unfiltered = await postForm(
        `${harness.base}/auth/token`,
        { grant_type: 'client_credentials', scope: 'system/Observation.rs' },
        undefined,
        credentials,
      );
      assert.equal((await json(unfiltered)).error, 'invalid_scope');
    });

    it('does not let the public web client use client credentials', async () => {
      const response = await postForm(`${harness.base}/auth/token`, {
        grant_type: 'client_credentials',
        client_id: 'carebridge-web',
        scope: 'system/Patient.rs',
      });
      assert.equal(response.status, 400);
      const body = await json(response);
      assert.equal(body.error, 'invalid_request');
      assert.match(String(body.error_description), /grant type is not allowed/);
    });

    it('publishes SMART and OpenID discovery pointing at the mounted endpoints', async () => {
      const smartResponse = await fetch(`${harness.base}/fhir/.well-known/smart-configuration`);
      assert.equal(smartResponse.status, 200);
      const smart = await json(smartResponse);
      assert.equal(smart.issuer, `${harness.base}/auth`);
      assert.equal(smart.authorization_endpoint, `${harness.base}/auth/authorize`);
      assert.equal(smart.token_endpoint, `${harness.base}/auth/token`);
      assert.deepEqual(smart.code_challenge_methods_supported, ['S256']);
      for (const capability of [
        'launch-standalone',
        'client-public',
        'client-confidential-symmetric',
        'permission-v2',
        'permission-v1',
        'context-standalone-patient',
        'sso-openid-connect',
      ]) {
        assert.ok((smart.capabilities as string[]).includes(capability), capability);
      }

      const openid = await json(await fetch(`${harness.base}/auth/.well-known/openid-configuration`));
      assert.equal(openid.issuer, `${harness.base}/auth`);
      assert.equal(openid.token_endpoint, `${harness.base}/auth/token`);
      assert.deepEqual(openid.code_challenge_methods_supported, ['S256']);
      const jwks = await json(await fetch(String(openid.jwks_uri)));
      const keys = jwks.keys as Array<Record<string, unknown>>;
      assert.ok(keys.length >= 1);
      assert.ok(
        keys.every((key) => key.d === undefined),
        'no private key material is published',
      );
    });

    it('serves the NHS.UK stylesheet locally, without third-party font URLs', async () => {
      const css = await fetch(`${harness.base}/auth/assets/nhsuk-frontend.min.css`);
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /text\/css/);
      const text = await css.text();
      assert.match(text, /\.nhsuk-error-summary/);
      assert.doesNotMatch(text, /assets\.nhs\.uk/);
      assert.match(text, /url\(\/auth\/assets\/images\//);
      assert.equal((await fetch(`${harness.base}/auth/assets/images/favicon.ico`)).status, 200);
      assert.equal((await fetch(`${harness.base}/auth/assets/init.js`)).status, 200);
      assert.equal((await fetch(`${harness.base}/auth/assets/../../etc/passwd`)).status, 404);
    });

    it('keeps issued tokens valid across a restart on the same database', async () => {
      const { verifier, challenge } = pkce();
      const callback = await signIn(harness, 'demo-pharmacist', { challenge });
      const tokens = await json(
        await exchangeCode(harness, callback.searchParams.get('code') ?? '', verifier),
      );
      const second = Fastify({ logger: false });
      const restarted = await registerIdentity(second, {
        db: harness.database.db,
        config: loadIdentityConfig({ IDENTITY_MODE: 'embedded' }),
        publicBaseUrl: harness.base,
        demoData: true,
      });
      try {
        assert.equal((await restarted.verifier.verify(String(tokens.access_token))).role, 'pharmacist');
      } finally {
        await second.close();
      }
    });
  });

  describe(`embedded identity provider without demo data (${kind})`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startHarness(kind, false);
    });
    after(async () => harness.close());

    it('refuses demo accounts and demo system clients once demo data is off', async () => {
      const jar = new CookieJar();
      const start = await get(authorizeUrl(harness.base, { code_challenge: pkce().challenge }), jar);
      const interactionUrl = absolute(harness.base, start.headers.get('location'));
      const page = await (await get(interactionUrl, jar)).text();
      assert.doesNotMatch(page, /Demo accounts/);
      const attempt = await submitSignIn(interactionUrl, { username: 'demo-gp', password: 'demo' }, jar);
      assert.equal(attempt.status, 400);

      const pharmacy = (await listDemoSystemClients(harness.database.db)).find(
        (client) => client.clientId === 'demo-pharmacy-system',
      );
      assert.ok(pharmacy);
      const response = await postForm(
        `${harness.base}/auth/token`,
        { grant_type: 'client_credentials', scope: 'system/Patient.rs' },
        undefined,
        basic(pharmacy.clientId, pharmacy.secret),
      );
      assert.equal((await json(response)).error, 'invalid_client');
    });
  });
}
