import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SmartScope } from '../../src/access/principal.js';
import { staff } from '../support/principals.js';
import { createTestApp, outcomeCodes, type TestApp } from '../support/test-app.js';
import { buildWorld } from './world.js';

const scope = (
  context: SmartScope['context'],
  resourceType: string,
  letters: string,
  filter?: Array<[string, string]>,
): SmartScope => ({
  context,
  resourceType,
  permissions: new Set(letters.split('') as Array<'c' | 'r' | 'u' | 'd' | 's'>),
  ...(filter ? { filter } : {}),
});

describe('SMART scopes are enforced on every interaction', () => {
  let t: TestApp;
  const as = (name: string, scopes: SmartScope[]) => ({
    authorization: t.principals.register(name, staff('gp', 'practice-a', { scopes })),
  });

  before(async () => {
    t = await createTestApp('pglite');
    await buildWorld(t);
  });
  after(async () => {
    await t.close();
  });

  it('user/Patient.rs reads and searches patients, and nothing else', async () => {
    const auth = as('patients-only', [scope('user', 'Patient', 'rs')]);
    assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, auth)).statusCode, 200);
    assert.equal((await t.fhir('GET', '/fhir/Patient?family=one', undefined, auth)).statusCode, 200);
    const condition = await t.fhir('GET', '/fhir/Condition/p1-asthma', undefined, auth);
    assert.equal(condition.statusCode, 403);
    assert.deepEqual(outcomeCodes(condition), ['insufficient-scope']);
    assert.equal((await t.fhir('POST', '/fhir/Patient', { resourceType: 'Patient' }, auth)).statusCode, 403);
  });

  it('r without s reads but cannot search; s without r cannot read (scope downgrade)', async () => {
    const readOnly = as('read-only', [scope('user', '*', 'r')]);
    assert.equal((await t.fhir('GET', '/fhir/Condition/p1-asthma', undefined, readOnly)).statusCode, 200);
    assert.equal(
      (await t.fhir('GET', '/fhir/Condition?subject=Patient/p1', undefined, readOnly)).statusCode,
      403,
    );
    const searchOnly = as('search-only', [scope('user', '*', 's')]);
    assert.equal((await t.fhir('GET', '/fhir/Condition/p1-asthma', undefined, searchOnly)).statusCode, 403);
  });

  it('_include cannot reach a type the scopes do not cover', async () => {
    const auth = as('conditions-only', [scope('user', 'Condition', 'rs')]);
    const bundle = JSON.parse(
      (await t.fhir('GET', '/fhir/Condition?_include=Condition:subject', undefined, auth)).body,
    ) as {
      entry?: Array<{ resource: { resourceType: string } }>;
    };
    assert.ok(bundle.entry?.length);
    assert.ok(bundle.entry.every((entry) => entry.resource.resourceType === 'Condition'));
  });

  it('a write needs c, u or d for its type', async () => {
    const readAll = as('read-all', [scope('user', '*', 'rs')]);
    const update = await t.fhir(
      'PUT',
      '/fhir/Condition/p1-asthma',
      { resourceType: 'Condition', id: 'p1-asthma', subject: { reference: 'Patient/p1' } },
      readAll,
    );
    assert.equal(update.statusCode, 403);
    assert.equal((await t.fhir('DELETE', '/fhir/Condition/p1-asthma', undefined, readAll)).statusCode, 403);
  });

  it('a scope for another context (system/ on a user) grants nothing', async () => {
    const auth = as('wrong-context', [scope('system', '*', 'cruds')]);
    assert.equal((await t.fhir('GET', '/fhir/Patient/p1', undefined, auth)).statusCode, 403);
  });

  it('a granular scope Carebridge cannot evaluate grants nothing (fails closed)', async () => {
    const auth = as('granular', [scope('user', 'Observation', 'rs', [['category', 'laboratory']])]);
    assert.equal((await t.fhir('GET', '/fhir/Observation/p1-fev1', undefined, auth)).statusCode, 403);
  });

  it('no token, or an unknown one, answers 401 with WWW-Authenticate; /metadata stays public', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/fhir/Patient/p1' });
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/fhir/Patient/p1',
      headers: { authorization: 'Bearer nonsense' },
    });
    assert.equal(bad.statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/fhir/metadata' })).statusCode, 200);
  });
});
