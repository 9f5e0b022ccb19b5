import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { createTestApp, json, type TestApp } from '../support/test-app.js';
import {
  P2_NHS,
  buildExchangeWorld,
  dischargeSummary,
  groups,
  value,
  type ParametersLike,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`exchange alarms with an injected clock (${kind})`, () => {
    let t: TestApp;
    let auth: Record<string, string>;

    before(async () => {
      t = await createTestApp(kind);
      auth = await buildExchangeWorld(t);
    });
    after(() => t.close());

    const alarms = async (who: string) => {
      const response = await t.fhir('GET', '/fhir/$exchange-alarms', undefined, {
        authorization: auth[who] ?? '',
      });
      assert.equal(response.statusCode, 200, response.body);
      return groups(json<ParametersLike>(response), 'alarm').map(
        (a) => `${String(value(a, 'code'))}:${String(value(a, 'document'))}`,
      );
    };

    it('raises not-delivered after 15 minutes and the 24-hour discharge SLA for a letter stuck in transport', async () => {
      t.clock.set('2026-03-02T09:00:00Z');
      const response = await t.fhir(
        'POST',
        '/fhir/$submit-document',
        dischargeSummary({ documentId: 'stuck', nhsNumber: P2_NHS, discharge: '2026-03-02T08:00:00Z' }),
        { authorization: auth.consultant ?? '' },
      );
      assert.equal(response.statusCode, 201, response.body);
      assert.deepEqual(await alarms('consultant'), []);
      t.clock.set('2026-03-02T09:16:00Z');
      assert.deepEqual(await alarms('consultant'), ['not-delivered:stuck']);
      t.clock.set('2026-03-03T08:01:00Z');
      assert.deepEqual(await alarms('consultant'), ['delivery-sla-breached:stuck', 'not-delivered:stuck']);
      // Operations see every organisation's alarms; a practice that has received nothing sees none.
      assert.ok((await alarms('ops')).includes('delivery-sla-breached:stuck'));
      assert.deepEqual(await alarms('gpB'), []);
    });

    it('raises delivered-not-filed after 2 working days, counting over the Easter bank holiday weekend', async () => {
      t.clock.set('2026-04-02T10:00:00Z'); // Thursday before Good Friday
      const response = await t.fhir(
        'POST',
        '/fhir/$submit-document',
        dischargeSummary({ documentId: 'easter', discharge: '2026-04-01T16:00:00Z' }),
        { authorization: auth.consultant ?? '' },
      );
      assert.equal(response.statusCode, 201, response.body);
      t.clock.set('2026-04-06T22:00:00Z'); // Easter Monday: four calendar days, no working days
      assert.ok(!(await alarms('gpA')).includes('not-filed:easter'));
      t.clock.set('2026-04-09T10:00:00Z');
      assert.ok((await alarms('gpA')).includes('not-filed:easter'));
      assert.ok((await alarms('consultant')).includes('not-filed:easter'));
      assert.ok(!(await alarms('gpB')).includes('not-filed:easter'));
      const filed = await t.fhir(
        'POST',
        '/fhir/$file-document',
        { resourceType: 'Parameters', parameter: [{ name: 'document', valueString: 'easter' }] },
        { authorization: auth.adminA ?? '' },
      );
      assert.equal(filed.statusCode, 200, filed.body);
      assert.ok(!(await alarms('gpA')).includes('not-filed:easter'));
    });

    it('refuses alarms to a patient login', async () => {
      const response = await t.fhir('GET', '/fhir/$exchange-alarms', undefined, {
        authorization: auth.patient1 ?? '',
      });
      assert.equal(response.statusCode, 403);
    });
  });
}
