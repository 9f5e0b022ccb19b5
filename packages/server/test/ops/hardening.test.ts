import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, outcomeCodes, type TestApp } from '../support/test-app.js';
import { INTEGRATION, staff } from '../support/principals.js';

const ALLOWED_ORIGIN = 'https://gp-app.example.nhs.uk';

describe('Hardening: per-client rate limits', () => {
  let t: TestApp;
  let gp: string;
  let otherGp: string;
  let busyIntegration: string;
  before(async () => {
    t = await createTestApp(
      'pglite',
      {},
      {
        rateLimits: { userPerMinute: 5, systemPerMinute: 8, perClient: { 'bulk-feed': 0 } },
      },
    );
    gp = t.principals.register('gp', staff('gp', 'org-a'));
    otherGp = t.principals.register('other-gp', staff('gp', 'org-a', { subject: 'someone-else' }));
    busyIntegration = t.principals.register('bulk', { ...INTEGRATION, clientId: 'bulk-feed' });
  });
  after(async () => {
    await t.close();
  });

  const read = (authorization: string) =>
    t.app.inject({ method: 'GET', url: '/fhir/Patient?_count=1', headers: { authorization } });

  it('refuses a clinician past their limit with a 429 OperationOutcome and Retry-After, and audits it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await read(gp)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const refused = await read(gp);
    assert.equal(refused.statusCode, 429);
    assert.deepEqual(outcomeCodes(refused), ['rate-limited']);
    assert.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After says when to come back');
    assert.equal(refused.headers['x-ratelimit-limit'], '5');
    const audited = t.audit.entries.filter((entry) => entry.httpStatus === 429);
    assert.equal(audited.length, 3, 'every refused request is audited');
    assert.ok(
      audited.every((entry) => entry.outcome === 'denied' && entry.principal?.subject === 'gp@org-a'),
    );
  });

  it('counts each person separately: one clinician at their limit does not block another', async () => {
    assert.equal((await read(otherGp)).statusCode, 200);
  });

  it('gives system clients their own limit, and a per-client override of 0 lifts it', async () => {
    const integration = 'Bearer test:integration';
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await read(integration)).statusCode);
    assert.equal(statuses.filter((status) => status === 200).length, 8);
    assert.equal(statuses.at(-1), 429);
    for (let i = 0; i < 20; i++) assert.equal((await read(busyIntegration)).statusCode, 200);
  });

  it('limits requests without valid credentials by address, so a flood of bad tokens is throttled too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await read('Bearer forged')).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('Hardening: CORS policy', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('pglite', {}, { corsOrigins: [ALLOWED_ORIGIN] });
  });
  after(async () => {
    await t.close();
  });

  it('answers a preflight from an allowed origin with the FHIR methods and headers, without credentials', async () => {
    const response = await t.app.inject({
      method: 'OPTIONS',
      url: '/fhir/Patient',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-request-id',
      },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], ALLOWED_ORIGIN);
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
    assert.match(String(response.headers['access-control-allow-headers']), /X-Request-ID/);
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
  });

  it('lets an allowed origin read the answer and its ETag and Location', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/fhir/metadata',
      headers: { origin: ALLOWED_ORIGIN },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['access-control-allow-origin'], ALLOWED_ORIGIN);
    assert.match(String(response.headers['access-control-expose-headers']), /ETag.*Location/);
  });

  it('gives any other origin no CORS headers, so its browser pages cannot read patient data', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/fhir/Patient',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    const read = await t.fhir('GET', '/fhir/Patient', undefined, { origin: 'https://evil.example.com' });
    assert.equal(read.headers['access-control-allow-origin'], undefined);
  });
});
