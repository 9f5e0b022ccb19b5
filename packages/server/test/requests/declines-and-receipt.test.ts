import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import {
  action,
  all,
  assertRefused,
  createRequest,
  groups,
  p,
  useRequestsWorld,
  value,
  type ParametersLike,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`requests: declines back with the requester, counted exactly (${kind})`, () => {
    const world = useRequestsWorld(kind);
    const ids: string[] = [];

    before(async () => {
      // Five declines by Quayside, two of them taken back; one open request; one declined by
      // Lowbridge for the other hospital, which Kingsmere's count must not include.
      for (let n = 0; n < 6; n++)
        ids.push((await createRequest(world, 'consultant', { category: 'other' })).id);
      for (const id of ids.slice(0, 5)) {
        await world.respond('gpA', action(id, 'decline', p.str('reason', 'Not a GP service')));
      }
      for (const id of ids.slice(0, 2)) await world.update('consultant', action(id, 'acknowledge-decline'));
      const elsewhere = await createRequest(world, 'consultant2', { category: 'other' });
      await world.respond('gpA', action(elsewhere.id, 'decline', p.str('reason', 'Not a GP service')));
    });

    async function tracker(query: string) {
      const response = await world.call('GET', `/fhir/$request-tracker${query}`, 'consultant');
      assert.equal(response.statusCode, 200, response.body);
      const body = json<ParametersLike>(response);
      return {
        ids: groups(body, 'entry').map((entry) => String(value(entry, 'request'))),
        total: value(body.parameter, 'total'),
        next: value(body.parameter, 'next'),
      };
    }

    it('lists only the declines not yet taken back, with the total across pages', async () => {
      const page = await tracker('?acknowledged=false&_count=2&_total=accurate');
      assert.equal(page.total, 3);
      assert.deepEqual(page.ids, [ids[4], ids[3]]);
      assert.ok(page.next !== undefined, 'the third is on the next page');
      const rest = await tracker(`?acknowledged=false&_count=2&cursor=${String(page.next)}&_total=accurate`);
      assert.deepEqual(rest.ids, [ids[2]]);
      assert.equal(rest.total, 3, 'the total counts every page, not the rest after the cursor');
    });

    it('lists the declines taken back with acknowledged=true, and only declined requests either way', async () => {
      const back = await tracker('?status=declined&acknowledged=true&_total=accurate');
      assert.deepEqual(back.ids, [ids[1], ids[0]]);
      assert.equal(back.total, 2);
      assert.equal((await tracker('?status=requested&acknowledged=false&_total=accurate')).total, 0);
    });

    it('counts only when asked, and refuses values it does not know', async () => {
      assert.equal((await tracker('?acknowledged=false')).total, undefined);
      assert.equal((await tracker('?acknowledged=false&_total=none')).total, undefined);
      for (const query of ['?acknowledged=no', '?_total=all']) {
        const response = await world.call('GET', `/fhir/$request-tracker${query}`, 'consultant');
        assertRefused(response, 400, 'invalid-search-parameter');
      }
    });
  });

  describe(`requests: received when the owner first opens it (${kind})`, () => {
    const world = useRequestsWorld(kind);

    it('records one receipt when two of the owner’s staff open the request at once', async () => {
      const { id } = await createRequest(world, 'consultant', { category: 'other' });
      world.t.clock.set('2026-03-02T11:30:00Z');
      const answers = await Promise.all(
        ['gpA', 'adminA'].map((who) => world.respond(who, action(id, 'receive'))),
      );
      for (const answer of answers) assert.equal(answer.statusCode, 200, answer.body);
      const outcomes = answers.map((answer) => value(json<ParametersLike>(answer).parameter, 'outcome'));
      assert.deepEqual(outcomes.sort(), ['received', 'unchanged']);

      const read = await world.call('GET', `/fhir/$request?request=${id}`, 'consultant');
      const request = groups(json<ParametersLike>(read), 'request')[0] ?? [];
      const receipts = all(request, 'event').filter((event) => value(event, 'to') === 'received');
      assert.equal(receipts.length, 1);
      assert.equal(value(receipts[0], 'at'), '2026-03-02T11:30:00.000Z');
      assert.equal(value(request, 'received'), '2026-03-02T11:30:00.000Z');
      const audited = world.t.audit.entries.filter(
        (entry) => entry.interaction === '$respond-to-request' && entry.outcome === 'success',
      );
      assert.equal(audited.length, 2, 'both opens are audited, with the patient');
      assert.deepEqual(audited[0]?.patientIds, ['p1']);
    });

    it('does not move a request already past received, and lets only the owner receive it', async () => {
      const { id } = await createRequest(world, 'consultant', { category: 'other' });
      assert.equal((await world.respond('gpA', action(id, 'accept'))).statusCode, 200);
      const late = await world.respond('adminA', action(id, 'receive'));
      assert.equal(value(json<ParametersLike>(late).parameter, 'outcome'), 'unchanged');
      assertRefused(await world.respond('consultant', action(id, 'receive')), 403, 'forbidden');
    });
  });
}
