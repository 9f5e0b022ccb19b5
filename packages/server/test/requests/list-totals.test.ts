import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LIST_TOTAL_CAP } from '../../src/store/capped-count.js';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import { assertRefused, createRequest, useRequestsWorld, value, type ParametersLike } from './support.js';

/**
 * The request lists count only when asked (`_total`, as FHIR search does), and then answer as
 * `$inbox` always does: `total` up to 10,000 and `totalCapped` saying whether there were more.
 */
for (const kind of testDatabaseKinds()) {
  describe(`requests: list totals, capped like the inbox's (${kind})`, () => {
    const world = useRequestsWorld(kind);

    before(async () => {
      await createRequest(world, 'consultant', { category: 'other' });
      // Past the cap for Riverside's tracker: ledger rows written straight to the table, as only the
      // count reads them.
      await world.t.database.db.query(
        `insert into request_ledger (task_id, source, patient_id, requester_org_id, requester_name,
           requester_setting, requester_subject, owner_org_id, owner_name, owner_setting, specialty,
           category, category_source, circumstances, priority, status, reason, responsibility, flagged,
           estimated_minutes, created_at, updated_at)
         select 'bulk-' || n, 'api', 'p1', 'trust-2', 'Riverside Hospital', 'hospital', 'bulk', 'practice-a',
           'Quayside Surgery', 'practice', 'General medicine', 'other', 'requester', '[]'::jsonb, 'routine',
           'completed', 'Bulk', 'owner', false, 0, now(), now()
         from generate_series(1, $1::int) as n`,
        [LIST_TOTAL_CAP + 1],
      );
    });

    async function tracker(who: string, query: string) {
      const response = await world.call('GET', `/fhir/$request-tracker${query}`, who);
      assert.equal(response.statusCode, 200, response.body);
      const body = json<ParametersLike>(response);
      return { total: value(body.parameter, 'total'), capped: value(body.parameter, 'totalCapped') };
    }

    it('counts every match under the cap, saying it was not capped', async () => {
      assert.deepEqual(await tracker('consultant', '?_count=1&_total=accurate'), { total: 1, capped: false });
    });

    it('stops counting at 10,000 and says there were more', async () => {
      const answer = await tracker('consultant2', '?_count=1&status=completed&_total=estimate');
      assert.deepEqual(answer, { total: LIST_TOTAL_CAP, capped: true });
      assert.equal(LIST_TOTAL_CAP, 10_000);
    });

    it('answers neither total nor totalCapped unless asked', async () => {
      assert.deepEqual(await tracker('consultant2', '?_count=1'), { total: undefined, capped: undefined });
      assert.deepEqual(await tracker('consultant', '?_total=none'), { total: undefined, capped: undefined });
    });

    it('refuses a patient or organisation that is no FHIR id, naming the parameter', async () => {
      for (const [who, name, query] of [
        ['consultant', 'patient', '?patient=Patient/not%20an%20id'],
        ['ops', 'organization', '?organization=Organization/'],
      ] as const) {
        const response = await world.call('GET', `/fhir/$request-tracker${query}`, who);
        assertRefused(response, 400, 'invalid-search-parameter');
        const outcome = json<{ issue: Array<{ expression?: string[] }> }>(response);
        assert.deepEqual(outcome.issue[0]?.expression, [name]);
      }
    });
  });
}
