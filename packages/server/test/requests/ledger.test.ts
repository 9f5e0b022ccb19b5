import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import {
  action,
  createRequest,
  groups,
  p,
  part,
  requestsWorld,
  value,
  type NewRequest,
  type ParameterLike,
  type ParametersLike,
  type RequestsWorld,
} from './support.js';

const RANGE = '?period=week&from=2026-03-02&to=2026-03-22';

for (const kind of testDatabaseKinds()) {
  describe(`requests: the workload-transfer ledger (${kind})`, () => {
    let world: RequestsWorld;

    /** Creates a request at a time, then moves it on as the owner (or the requester, to cancel). */
    async function seed(
      at: string,
      who: string,
      request: NewRequest,
      ...steps: Array<[string, string, ...ParameterLike[]]>
    ) {
      world.t.clock.set(at);
      const { id } = await createRequest(world, who, request);
      for (const [actor, name, ...extra] of steps) {
        const operation = name === 'accept' || name === 'decline' ? '$respond-to-request' : '$update-request';
        const response = await world.call('POST', `/fhir/${operation}`, actor, action(id, name, ...extra));
        assert.equal(response.statusCode, 200, response.body);
      }
    }

    before(async () => {
      world = await requestsWorld(kind);
      // Week of Monday 2 March.
      await seed('2026-03-02T10:00:00Z', 'consultant', { category: 'fit-note' }, [
        'gpA',
        'decline',
        p.bool('cite-rule', true),
      ]);
      await seed('2026-03-03T10:00:00Z', 'consultant', { category: 'arrange-test' }, ['gpA', 'accept']);
      await seed('2026-03-04T10:00:00Z', 'consultant', { category: 'other' });
      // Week of 9 March.
      await seed('2026-03-09T10:00:00Z', 'consultant', { category: 'arrange-test' }, [
        'gpA',
        'decline',
        p.str('reason', 'No phlebotomy capacity'),
      ]);
      await seed('2026-03-10T10:00:00Z', 'consultant', { category: 'fit-note' }, [
        'consultant',
        'cancel',
        p.str('reason', 'Issued in clinic'),
      ]);
      await seed(
        '2026-03-11T10:00:00Z',
        'consultant',
        { category: 'other', patient: 'p2', owner: 'practice-b' },
        ['gpB', 'accept'],
      );
      await seed('2026-03-12T10:00:00Z', 'gpA', {
        category: 'chase-result',
        owner: 'trust',
        specialty: 'General practice',
      });
      // Week of 16 March: Riverside asks Quayside to continue a medicine it started.
      await seed(
        '2026-03-16T10:00:00Z',
        'consultant2',
        { category: 'prescribe-medication', circumstances: ['continuation'], specialty: 'Dermatology' },
        ['gpA', 'accept'],
        ['gpA', 'complete'],
      );
      world.t.clock.set('2026-03-23T09:00:00Z');
    });
    after(() => world.t.close());

    const ledger = async (who: string, query = RANGE) => {
      const response = await world.call('GET', `/fhir/$workload-ledger${query}`, who);
      assert.equal(response.statusCode, 200, response.body);
      return json<ParametersLike>(response);
    };
    const figures = (parts: ParameterLike[] | undefined) =>
      Object.fromEntries(
        [
          'requests',
          'accepted',
          'declined',
          'declinedCitingRule',
          'pending',
          'cancelled',
          'flagged',
          'minutesRequested',
          'minutesAccepted',
          'minutesDeclined',
        ].map((name) => [name, value(parts, name)]),
      );

    it('counts every request, accepted against declined, in estimated GP minutes (operations: all)', async () => {
      const body = await ledger('ops');
      assert.deepEqual(figures(part(body.parameter, 'totals')), {
        requests: 8,
        accepted: 3,
        declined: 2,
        declinedCitingRule: 1,
        pending: 2,
        cancelled: 1,
        flagged: 4,
        minutesRequested: 90,
        minutesAccepted: 40,
        minutesDeclined: 30,
      });
    });

    it('groups by sending organisation, specialty and category', async () => {
      const body = await ledger('ops');
      const rows = groups(body, 'group').map((g) => [
        value(g, 'requesterName'),
        value(g, 'specialty'),
        value(g, 'category'),
        value(g, 'requests'),
        value(g, 'declined'),
        value(g, 'minutesRequested'),
      ]);
      assert.deepEqual(rows, [
        ['Kingsmere Hospitals', 'Cardiology', 'arrange-test', 2, 1, 40],
        ['Kingsmere Hospitals', 'Cardiology', 'fit-note', 2, 1, 20],
        ['Kingsmere Hospitals', 'Cardiology', 'other', 2, 0, 20],
        ['Quayside Surgery', 'General practice', 'chase-result', 1, 0, 0],
        ['Riverside Hospital', 'Dermatology', 'prescribe-medication', 1, 0, 10],
      ]);
    });

    it('gives the weekly and monthly trend, quiet periods included', async () => {
      const weekly = groups(await ledger('ops'), 'trend').map((t) => [
        value(t, 'period'),
        value(t, 'requests'),
        value(t, 'accepted'),
      ]);
      assert.deepEqual(weekly, [
        ['2026-03-02', 3, 1],
        ['2026-03-09', 4, 1],
        ['2026-03-16', 1, 1],
      ]);
      const monthly = groups(await ledger('ops', '?period=month&from=2026-02-01&to=2026-03-31'), 'trend').map(
        (t) => [value(t, 'period'), value(t, 'requests')],
      );
      assert.deepEqual(monthly, [
        ['2026-02', 0],
        ['2026-03', 8],
      ]);
    });

    it('shows an organisation only the requests it made or was sent', async () => {
      assert.equal(value(part((await ledger('gpA')).parameter, 'totals'), 'requests'), 7);
      assert.equal(value(part((await ledger('gpB')).parameter, 'totals'), 'requests'), 1);
      assert.equal(value(part((await ledger('consultant2')).parameter, 'totals'), 'requests'), 1);
      assert.equal(
        value(
          part((await ledger('ops', `${RANGE}&organization=Organization/practice-b`)).parameter, 'totals'),
          'requests',
        ),
        1,
      );
      assert.equal(
        value(
          part((await ledger('ops', `${RANGE}&requester=Organization/trust-2`)).parameter, 'totals'),
          'requests',
        ),
        1,
      );
      const refused = await world.call(
        'GET',
        `/fhir/$workload-ledger${RANGE}&organization=Organization/practice-b`,
        'gpA',
      );
      assert.equal(refused.statusCode, 403);
      assert.equal((await world.call('GET', `/fhir/$workload-ledger${RANGE}`, 'patient1')).statusCode, 403);
    });

    it('exports CSV for commissioners, negotiated by Accept or _format', async () => {
      const byAccept = await world.call('GET', `/fhir/$workload-ledger-csv${RANGE}`, 'ops', undefined, {
        accept: 'text/csv',
      });
      assert.equal(byAccept.statusCode, 200, byAccept.body);
      assert.equal(byAccept.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(
        String(byAccept.headers['content-disposition']),
        /attachment; filename="workload-ledger-2026-03-02-2026-03-22\.csv"/,
      );
      const lines = byAccept.body.split('\r\n');
      assert.equal(
        lines[0],
        'period,sending_organisation,sending_ods,specialty,category,category_display,requests,accepted,declined,declined_citing_rule,pending,cancelled,flagged_as_requester_responsibility,estimated_gp_minutes_requested,estimated_gp_minutes_accepted,estimated_gp_minutes_declined',
      );
      assert.ok(
        lines.includes(
          '2026-03-02,Kingsmere Hospitals,RZZ,Cardiology,arrange-test,Arrange a test,1,1,0,0,0,0,1,20,20,0',
        ),
      );
      assert.ok(
        lines.includes(
          '2026-03-02,Kingsmere Hospitals,RZZ,Cardiology,fit-note,Issue a fit note,1,0,1,1,0,0,1,10,0,10',
        ),
      );
      assert.equal(lines.length, 1 + 8 + 1, 'a header, one line per period and group, and a final line end');
      const byFormat = await world.call('GET', `/fhir/$workload-ledger-csv${RANGE}&_format=csv`, 'ops');
      assert.equal(byFormat.statusCode, 200);
      assert.equal(byFormat.body, byAccept.body);
      // Only the CSV operation answers CSV; the FHIR operations still refuse it.
      const json406 = await world.call('GET', `/fhir/$workload-ledger${RANGE}`, 'ops', undefined, {
        accept: 'text/csv',
      });
      assert.equal(json406.statusCode, 406);
    });

    it('refuses a bad period or range naming the parameter', async () => {
      for (const query of [
        '?period=day',
        '?from=2026-02-30',
        '?from=2026-03-10&to=2026-03-01',
        '?colour=blue',
      ]) {
        const response = await world.call('GET', `/fhir/$workload-ledger${query}`, 'ops');
        assert.equal(response.statusCode, 400, query);
      }
    });
  });
}
