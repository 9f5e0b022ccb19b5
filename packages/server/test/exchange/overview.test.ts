import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { testRangeNhsNumber } from '@carebridge/domain';
import { testDatabaseKinds } from '../support/databases.js';
import { organisationNames } from '../../src/store/directory.js';
import { json } from '../support/test-app.js';
import {
  HOLD_FOR_RELEASE,
  P2_NHS,
  dischargeSummary,
  docParam,
  groups,
  submission,
  value,
  type DocumentOptions,
  type ParameterLike,
  type ParametersLike,
  useExchangeWorld,
} from './support.js';

/**
 * `$exchange-overview`: the operations overview counted by the database (ledger rows by organisation
 * and state, the alarms due now by code, deliveries per London day, the backlog release status),
 * for operations only, with figures that agree with the alarms evaluated row by row.
 */

const NHS = (n: number) => testRangeNhsNumber(300 + n);

for (const kind of testDatabaseKinds()) {
  describe(`exchange overview (${kind})`, () => {
    const world = useExchangeWorld(kind, {
      patients: [
        { id: 'o1', nhs: NHS(1), practice: 'practice-a' },
        { id: 'o2', nhs: NHS(2), practice: 'practice-b' },
      ],
      // Monday 30 March 2026, 10:00 in London (BST began the day before).
      at: '2026-03-30T09:00:00Z',
    });
    const { call } = world;

    const submit = async (options: DocumentOptions, who = 'consultant', extra: ParameterLike[] = []) => {
      const response = await call(
        'POST',
        '/fhir/$submit-document',
        who,
        submission(dischargeSummary(options), extra),
      );
      assert.equal(response.statusCode, 201, response.body);
    };
    const overview = async (query = '') => {
      const response = await call('GET', `/fhir/$exchange-overview${query}`, 'ops');
      assert.equal(response.statusCode, 200, response.body);
      return json<ParametersLike>(response);
    };

    before(async () => {
      const discharge = '2026-03-29T15:00:00Z';
      await submit({ documentId: 'ov-filed', discharge, diagnosisText: 'Filed' });
      assert.equal((await call('POST', '/fhir/$file-document', 'gpA', docParam('ov-filed'))).statusCode, 200);
      await submit({ documentId: 'ov-rejected', discharge, diagnosisText: 'Rejected' });
      const rejected = await call(
        'POST',
        '/fhir/$reject-document',
        'gpA',
        docParam('ov-rejected', [{ name: 'reason', valueCode: 'incomplete' }]),
      );
      assert.equal(rejected.statusCode, 200, rejected.body);
      await submit({ documentId: 'ov-open', discharge, diagnosisText: 'Unfiled' });
      await submit({ documentId: 'ov-external', discharge, nhsNumber: P2_NHS });
      await submit(
        { documentId: 'ov-draft', discharge, diagnosisText: 'Draft', status: 'preliminary' },
        'secretary',
      );
      await submit({ documentId: 'ov-held', discharge, birthDate: '1951-05-17' });
      await submit(
        { documentId: 'ov-backlog-a', discharge: '2026-03-10T12:00:00Z', nhsNumber: NHS(1) },
        'consultant',
        [HOLD_FOR_RELEASE],
      );
      await submit(
        { documentId: 'ov-backlog-b', discharge: '2026-03-11T12:00:00Z', nhsNumber: NHS(2) },
        'consultant',
        [HOLD_FOR_RELEASE],
      );
      // 23:30 GMT is already Tuesday 31 March, 00:30, in London.
      world.t.clock.set('2026-03-30T23:30:00Z');
      await submit({ documentId: 'ov-late', discharge, diagnosisText: 'Late evening' });
      // Thursday 2 April, 11:00 in London.
      world.t.clock.set('2026-04-02T10:00:00Z');
    });

    it('counts ledger rows by recipient and by sender organisation and state, naming each organisation', async () => {
      const rows = groups(await overview(), 'ledger').map((row) =>
        [
          value(row, 'side'),
          value(row, 'organization') ?? '-',
          value(row, 'ods') ?? '-',
          value(row, 'name') ?? '-',
          value(row, 'state'),
          value(row, 'count'),
        ].join(' | '),
      );
      assert.deepEqual(rows, [
        'recipient | Organization/practice-a | Y99901 | Quayside | awaiting-authorisation | 1',
        'recipient | Organization/practice-a | Y99901 | Quayside | delivered | 2',
        'recipient | Organization/practice-a | Y99901 | Quayside | filed | 1',
        'recipient | Organization/practice-a | Y99901 | Quayside | final | 1',
        'recipient | Organization/practice-a | Y99901 | Quayside | rejected | 1',
        'recipient | Organization/practice-b | Y99902 | Lowbridge | final | 1',
        'recipient | Organization/practice-ext | Y99903 | Elsewhere Surgery | queued | 1',
        'sender | Organization/trust | RZZ | Kingsmere Hospitals | awaiting-authorisation | 1',
        'sender | Organization/trust | RZZ | Kingsmere Hospitals | delivered | 2',
        'sender | Organization/trust | RZZ | Kingsmere Hospitals | filed | 1',
        'sender | Organization/trust | RZZ | Kingsmere Hospitals | final | 2',
        'sender | Organization/trust | RZZ | Kingsmere Hospitals | queued | 1',
        'sender | Organization/trust | RZZ | Kingsmere Hospitals | rejected | 1',
      ]);
    });

    it('names more organisations than a search page holds, and leaves unnamed one the directory lacks', async () => {
      // 1,200 organisations in the ledger (more than the server's largest search page of 1,000),
      // one of which the directory does not know (its name is left out, never guessed).
      const ids = Array.from({ length: 1_200 }, (_, index) => `bulk-${index}`);
      await world.t.database.db.query(
        `insert into resource (resource_type, id, version_id, last_updated, content)
         select 'Organization', id, 1, now(), json_build_object('resourceType', 'Organization', 'id', id,
           'name', 'Surgery ' || id)::text
         from unnest($1::text[]) as id where id <> 'bulk-7'`,
        [ids],
      );
      const names = await organisationNames(world.t.database.db, [...ids, 'practice-a']);
      assert.equal(names.size, 1_200);
      assert.equal(names.get('bulk-1199'), 'Surgery bulk-1199');
      assert.equal(names.get('practice-a'), 'Quayside');
      assert.equal(names.has('bulk-7'), false);
    });

    it('counts every alarm due now by code, as $exchange-alarms evaluates them row by row', async () => {
      const counted = Object.fromEntries(
        groups(await overview(), 'overdue').map((row) => [value(row, 'code'), value(row, 'count')]),
      );
      assert.deepEqual(counted, {
        'authorisation-overdue': 1,
        'delivery-sla-breached': 5,
        'not-delivered': 3,
        'not-filed': 2,
        'rejection-unresolved': 1,
        'endpoint-not-acknowledging': 1,
        'held-for-review': 1,
      });
      const evaluated: Record<string, number> = {};
      for (const alarm of groups(
        json<ParametersLike>(await call('GET', '/fhir/$exchange-alarms', 'ops')),
        'alarm',
      )) {
        const code = String(value(alarm, 'code'));
        evaluated[code] = (evaluated[code] ?? 0) + 1;
      }
      for (const [code, count] of Object.entries(counted)) assert.equal(count, evaluated[code] ?? 0, code);
    });

    it('counts the letters delivered on each London day, today last, days without any as 0', async () => {
      const days = groups(await overview('?days=4'), 'delivered').map((row) => [
        (row.find((part) => part.name === 'day') as { valueDate?: string } | undefined)?.valueDate,
        value(row, 'count'),
      ]);
      assert.deepEqual(days, [
        ['2026-03-30', 3],
        ['2026-03-31', 1],
        ['2026-04-01', 0],
        ['2026-04-02', 0],
      ]);
      assert.equal(groups(await overview(), 'delivered').length, 14);
    });

    it('reports the held backlog waiting for a release', async () => {
      const [backlog] = groups(await overview(), 'backlog');
      assert.equal(value(backlog, 'awaitingRelease'), 2);
      assert.equal(value(backlog, 'status'), undefined, 'no release has been planned');
    });

    it("gives a practice's inbox a total over every page, not only the page it shows", async () => {
      const page = json<ParametersLike>(await call('GET', '/fhir/$inbox?_count=1', 'gpA'));
      assert.equal(value(page.parameter, 'count'), 1);
      assert.equal(value(page.parameter, 'total'), 4);
      assert.equal(value(page.parameter, 'totalCapped'), false);
      const filtered = json<ParametersLike>(
        await call('GET', '/fhir/$inbox?state=delivered&_count=1', 'gpA'),
      );
      assert.equal(value(filtered.parameter, 'total'), 2);
      const next = String(value(filtered.parameter, 'next'));
      const second = json<ParametersLike>(
        await call('GET', `/fhir/$inbox?state=delivered&_count=1&cursor=${next}`, 'gpA'),
      );
      assert.equal(value(second.parameter, 'total'), 2, 'the total does not shrink on later pages');
    });

    it('is for operations only, refusing a GP and bad parameters, and is audited naming no patient', async () => {
      assert.equal((await call('GET', '/fhir/$exchange-overview', 'gpA')).statusCode, 403);
      assert.equal((await call('GET', '/fhir/$exchange-overview', 'patient1')).statusCode, 403);
      for (const query of ['?days=0', '?days=93', '?days=x', '?organization=practice-a']) {
        const response = await call('GET', `/fhir/$exchange-overview${query}`, 'ops');
        assert.equal(response.statusCode, 400, query);
        const outcome = json<{ issue: Array<{ expression?: string[] }> }>(response);
        assert.ok((outcome.issue[0]?.expression?.[0] ?? '') !== '', query);
      }
      const audited = world.t.audit.entries.filter((entry) => entry.interaction === '$exchange-overview');
      assert.ok(audited.some((entry) => entry.httpStatus === 200 && entry.patientIds.length === 0));
      assert.ok(audited.some((entry) => entry.httpStatus === 403));
    });
  });
}
