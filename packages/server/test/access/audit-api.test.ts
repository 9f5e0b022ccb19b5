import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '@carebridge/domain';
import { buildApp } from '../../src/app.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { verifyAuditChain } from '../../src/audit/verify-chain.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.js';
import { patientLogin, staff, TestPrincipals } from '../support/principals.js';
import { testConfig } from '../support/test-app.js';
import type { FastifyInstance } from 'fastify';
import { WORLD_RESOURCES, key } from './world.js';

interface Searchset {
  entry?: Array<{
    resource: {
      agent: Array<{ who?: { display?: string } }>;
      entity?: Array<{ what?: { reference?: string } }>;
    };
  }>;
}

for (const kind of testDatabaseKinds()) {
  describe(`The audit trail through the API on ${kind}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let trail: AuditTrail;
    const principals = new TestPrincipals();
    const call = (method: 'GET' | 'POST', url: string, who: string, body?: unknown) =>
      app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer test:${who}`,
          ...(body ? { 'content-type': 'application/fhir+json' } : {}),
        },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });

    before(async () => {
      database = await createTestDatabase(kind);
      trail = new AuditTrail(database.db);
      app = await buildApp(testConfig(), {
        db: database.db,
        clock: new ManualClock(),
        authenticate: principals.authenticate,
        audit: trail,
      });
      principals.register('gp', staff('gp', 'practice-a', { displayName: 'Dr Ada Jones' }));
      principals.register('p1', patientLogin('p1'));
      principals.register('officer', staff('privacy-officer', 'trust'));
      const world = await call('POST', '/fhir', 'integration', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: WORLD_RESOURCES.map((resource) => ({
          resource,
          request: { method: 'PUT', url: key(resource) },
        })),
      });
      assert.equal(world.statusCode, 200);
    });
    after(async () => {
      await app.close();
      await trail.stop();
      await database.drop();
    });

    it('a patient sees who has looked at their record', async () => {
      assert.equal((await call('GET', '/fhir/Patient/p1', 'gp')).statusCode, 200);
      const response = await call('GET', '/fhir/AuditEvent?patient=p1', 'p1');
      assert.equal(response.statusCode, 200);
      const bundle = JSON.parse(response.body) as Searchset;
      const agents = (bundle.entry ?? []).flatMap((e) => e.resource.agent.map((a) => a.who?.display));
      assert.ok(agents.includes('Dr Ada Jones'), `agents seen: ${agents.join(', ')}`);
    });

    it('a patient cannot read anyone else\u2019s audit, staff cannot browse it, and nobody writes it', async () => {
      assert.equal((await call('GET', '/fhir/AuditEvent?patient=p2', 'p1')).statusCode, 403);
      assert.equal((await call('GET', '/fhir/AuditEvent', 'gp')).statusCode, 403);
      assert.equal(
        (await call('POST', '/fhir/AuditEvent', 'officer', { resourceType: 'AuditEvent' })).statusCode,
        405,
      );
      assert.equal(
        (await call('GET', '/fhir/AuditEvent?agent=gp@practice-a&_count=5', 'officer')).statusCode,
        200,
      );
    });

    it('every request leaves exactly one record, denied and unauthenticated ones included, and the chain verifies', async () => {
      const before =
        (await database.db.query<{ n: number }>('select count(*)::int as n from audit_event')).rows[0]?.n ??
        0;
      const calls = [
        () => call('GET', '/fhir/Patient/p1', 'gp'),
        () => call('GET', '/fhir/Patient/p2', 'gp'),
        () => call('GET', '/fhir/Condition?subject=Patient/p1', 'gp'),
        () => call('GET', '/fhir/Patient/p1', 'nobody'),
        () => call('GET', '/fhir/AuditEvent', 'gp'),
        () =>
          call('POST', '/fhir/Condition', 'gp', {
            resourceType: 'Condition',
            subject: { reference: 'Patient/p2' },
          }),
      ];
      const n = 60;
      for (let i = 0; i < n; i++) await (calls[i % calls.length] as () => Promise<unknown>)();
      const after =
        (await database.db.query<{ n: number }>('select count(*)::int as n from audit_event')).rows[0]?.n ??
        0;
      assert.equal(after - before, n);
      const denied =
        (
          await database.db.query<{ n: number }>(
            `select count(*)::int as n from audit_event where outcome = 'denied'`,
          )
        ).rows[0]?.n ?? 0;
      assert.ok(denied >= 40, `denied records: ${denied}`);
      await trail.stop();
      trail = new AuditTrail(database.db);
      trail.start();
      await trail.stop();
      const verification = await verifyAuditChain(database.db);
      assert.equal(verification.ok, true, JSON.stringify(verification));
    });
  });
}
