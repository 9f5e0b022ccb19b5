import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import {
  action,
  createRequest,
  groups,
  p,
  requestsWorld,
  value,
  type ParameterLike,
  type ParametersLike,
  type RequestsWorld,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`requests: ageing alarms (${kind})`, () => {
    let world: RequestsWorld;
    let unanswered: string;
    let overdue: string;
    let declined: string;

    before(async () => {
      world = await requestsWorld(kind);
      // Friday 6 March 2026, 16:00 GMT.
      world.t.clock.set('2026-03-06T16:00:00Z');
      unanswered = (await createRequest(world, 'consultant', { category: 'other', reason: 'Unanswered' })).id;
      overdue = (
        await createRequest(world, 'consultant', {
          category: 'other',
          reason: 'Due Monday',
          due: '2026-03-09',
        })
      ).id;
      await world.call('POST', '/fhir/$respond-to-request', 'gpA', action(overdue, 'accept'));
      declined = (await createRequest(world, 'consultant', { category: 'fit-note', reason: 'Declined' })).id;
      await world.call(
        'POST',
        '/fhir/$respond-to-request',
        'gpA',
        action(declined, 'decline', p.bool('cite-rule', true)),
      );
    });
    after(() => world.t.close());

    const alarms = async (who: string): Promise<ParameterLike[][]> => {
      const response = await world.call('GET', '/fhir/$request-alarms', who);
      assert.equal(response.statusCode, 200, response.body);
      return groups(json<ParametersLike>(response), 'alarm');
    };
    const summary = (list: ParameterLike[][]) =>
      list
        .map(
          (alarm) =>
            `${String(value(alarm, 'request'))}:${String(value(alarm, 'code'))}:${String(value(alarm, 'mustAct'))}`,
        )
        .sort();

    it('raises nothing before the limits', async () => {
      world.t.clock.set('2026-03-09T15:59:00Z');
      assert.deepEqual(await alarms('gpA'), []);
    });

    it('raises the decline not taken back after 1 working day, for the hospital to act on', async () => {
      world.t.clock.set('2026-03-09T16:00:00Z');
      assert.deepEqual(summary(await alarms('consultant')), [`${declined}:decline-not-acknowledged:true`]);
      assert.deepEqual(summary(await alarms('gpA')), [`${declined}:decline-not-acknowledged:false`]);
    });

    it('raises an overdue request at the end of its due day, and an unanswered one after 2 working days', async () => {
      // The due date 9 March means the end of that London day; 2 working days from Friday 16:00 is Tuesday 16:00.
      world.t.clock.set('2026-03-10T00:00:00Z');
      assert.ok(summary(await alarms('gpA')).includes(`${overdue}:request-overdue:true`));
      assert.ok(!summary(await alarms('gpA')).some((alarm) => alarm.startsWith(`${unanswered}:`)));
      world.t.clock.set('2026-03-10T16:00:00Z');
      const practice = summary(await alarms('gpA'));
      assert.ok(practice.includes(`${unanswered}:request-unanswered:true`));
      // The hospital is told too, without being the one to act.
      const hospital = summary(await alarms('consultant'));
      assert.ok(hospital.includes(`${unanswered}:request-unanswered:false`));
      assert.ok(hospital.includes(`${overdue}:request-overdue:false`));
    });

    it('shows each request’s alarms on the worklist, and clears them when the work moves', async () => {
      const worklist = groups(
        json<ParametersLike>(await world.call('GET', '/fhir/$request-worklist', 'gpA')),
        'entry',
      );
      const entry = worklist.find((e) => value(e, 'request') === unanswered);
      assert.deepEqual(
        entry?.filter((e) => e.name === 'alarm').map((e) => value(e.part, 'code')),
        ['request-unanswered'],
      );
      await world.call('POST', '/fhir/$respond-to-request', 'gpA', action(unanswered, 'accept'));
      await world.call('POST', '/fhir/$update-request', 'gpA', action(overdue, 'complete'));
      await world.call(
        'POST',
        '/fhir/$update-request',
        'consultant',
        action(declined, 'acknowledge-decline'),
      );
      assert.deepEqual(await alarms('gpA'), []);
      assert.deepEqual(await alarms('consultant'), []);
    });

    it('shows operations every alarm, and no organisation another’s', async () => {
      world.t.clock.set('2026-03-20T12:00:00Z');
      const other = (
        await createRequest(world, 'consultant', { category: 'other', patient: 'p2', owner: 'practice-b' })
      ).id;
      world.t.clock.set('2026-03-30T12:00:00Z');
      assert.deepEqual(summary(await alarms('ops')), [`${other}:request-unanswered:false`]);
      assert.deepEqual(await alarms('gpA'), []);
      assert.equal((await alarms('gpB')).length, 1);
      assert.equal((await world.call('GET', '/fhir/$request-alarms', 'patient1')).statusCode, 403);
    });
  });
}
