import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_USERS } from '../src/seed/demo-directory.js';
import { seedDemoDirectoryIfEmpty } from '../src/seed/seed.js';
import { createTestApp, json, type TestApp } from './support/test-app.js';

describe('Seeding the demo directory through the FHIR API', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('pglite');
  });
  after(async () => {
    await t.close();
  });

  it('loads every organisation, staff member and the 200 patients, validated and searchable', async () => {
    assert.equal(await seedDemoDirectoryIfEmpty(t.app, t.database.db), true);
    assert.equal(json(await t.fhir('GET', '/fhir/Patient?_summary=count')).total, 200);
    assert.equal(json(await t.fhir('GET', '/fhir/Organization?_summary=count')).total, 14);
    const gp = DEMO_USERS['demo-gp'];
    assert.equal((await t.fhir('GET', `/fhir/PractitionerRole/${gp.practitionerRoleId}`)).statusCode, 200);
    const registered = json(
      await t.fhir(
        'GET',
        `/fhir/Patient?general-practitioner=Organization/${gp.organizationId}&_summary=count`,
      ),
    );
    assert.ok(Number(registered.total) > 0);
  });

  it('does nothing on a database that already has data', async () => {
    assert.equal(await seedDemoDirectoryIfEmpty(t.app, t.database.db), false);
    assert.equal(json(await t.fhir('GET', '/fhir/Patient?_summary=count')).total, 200);
  });
});
