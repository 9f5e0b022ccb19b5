import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { json, outcomeExpressions } from '../support/test-app.js';
import {
  action,
  all,
  assertRefused,
  createRequest,
  groups,
  p,
  part,
  useRequestsWorld,
  value,
  type ParameterLike,
  type ParametersLike,
} from './support.js';

const allowed = (request: readonly ParameterLike[]) =>
  request.filter((e) => e.name === 'allowedAction').map((e) => e.valueCode);

for (const kind of testDatabaseKinds()) {
  describe(`requests: one request, $request (${kind})`, () => {
    const world = useRequestsWorld(kind);
    let id: string;

    before(async () => {
      id = (await createRequest(world, 'consultant', { category: 'fit-note', reason: 'Fit note, 4 weeks' }))
        .id;
      world.t.clock.set('2026-03-02T11:00:00Z');
      const declined = await world.respond('gpA', action(id, 'decline', p.bool('cite-rule', true)));
      assert.equal(declined.statusCode, 200, declined.body);
    });

    async function read(who: string, query = `?request=${id}`) {
      const response = await world.call('GET', `/fhir/$request${query}`, who);
      assert.equal(response.statusCode, 200, response.body);
      const body = json<ParametersLike>(response);
      return { side: value(body.parameter, 'side'), request: groups(body, 'request')[0] ?? [] };
    }

    it('shows the owner the request as the worklist does, with its history, flag and the owner’s actions', async () => {
      const { side, request } = await read('gpA');
      assert.equal(side, 'owner');
      assert.equal(value(request, 'request'), id);
      assert.equal(value(request, 'status'), 'declined');
      assert.equal(value(request, 'patient'), 'Patient/p1');
      assert.equal(value(part(request, 'responsibility'), 'placesOnRequester'), true);
      assert.equal(value(part(request, 'responsibility'), 'clause'), 'NHS Standard Contract SC11.11');
      assert.deepEqual(
        all(request, 'event').map((e) => [value(e, 'from'), value(e, 'to'), value(e, 'who'), value(e, 'at')]),
        [
          [undefined, 'requested', 'Dr Ada Jones', '2026-03-02T10:00:00.000Z'],
          ['requested', 'declined', 'Dr Sam Patel', '2026-03-02T11:00:00.000Z'],
        ],
      );
      const decline = all(request, 'event')[1] ?? [];
      assert.equal(value(decline, 'clause'), 'NHS Standard Contract SC11.11');
      assert.ok(String(value(decline, 'reason')).length > 0, 'the decline says why');
      assert.deepEqual(allowed(request), [], 'a declined request leaves the owner nothing to do');
    });

    it('shows the requester the same request with the requester’s actions, by `Task/id` too', async () => {
      const { side, request } = await read('consultant', `?request=Task/${id}`);
      assert.equal(side, 'requester');
      assert.equal(value(request, 'declineClause'), 'NHS Standard Contract SC11.11');
      assert.deepEqual(allowed(request), ['acknowledge-decline']);
      assert.equal(all(request, 'event').length, 2);
    });

    it('lets operations read it with no side and no actions', async () => {
      const { side, request } = await read('ops');
      assert.equal(side, undefined);
      assert.equal(value(request, 'request'), id);
      assert.deepEqual(allowed(request), []);
    });

    it('answers a third practice, another hospital and an unknown id alike: 404, not revealing the request', async () => {
      for (const who of ['gpB', 'consultant2']) {
        assertRefused(await world.call('GET', `/fhir/$request?request=${id}`, who), 404, 'request-not-found');
      }
      const unknown = await world.call('GET', '/fhir/$request?request=no-such-task', 'gpA');
      assertRefused(unknown, 404, 'request-not-found');
      assert.deepEqual(outcomeExpressions(unknown), ['request']);
      assertRefused(await world.call('GET', `/fhir/$request?request=${id}`, 'patient1'), 403, 'forbidden');
    });

    it('refuses a bad, missing, repeated or unknown parameter with 400 naming it', async () => {
      const cases: Array<[string, string, string]> = [
        ['?request=Task/a%20b', 'invalid-search-parameter', 'request'],
        ['', 'missing-required-element', 'request'],
        [`?request=${id}&request=${id}`, 'invalid-search-parameter', 'request'],
        [`?request=${id}&task=Task/${id}`, 'invalid-search-parameter', 'task'],
      ];
      for (const [query, code, path] of cases) {
        const response = await world.call('GET', `/fhir/$request${query}`, 'gpA');
        assertRefused(response, 400, code);
        assert.deepEqual(outcomeExpressions(response), [path], query);
      }
    });

    it('audits each read with the patient, and a refused one as denied', async () => {
      await read('consultant');
      const reads = world.t.audit.entries.filter((entry) => entry.interaction === '$request');
      const granted = reads.filter((entry) => entry.outcome === 'success').at(-1);
      assert.deepEqual(granted?.patientIds, ['p1']);
      assert.equal(granted?.principal?.subject, 'consultant@trust');
      await world.call('GET', `/fhir/$request?request=${id}`, 'gpB');
      const refused = world.t.audit.entries.filter((entry) => entry.interaction === '$request').at(-1);
      assert.equal(refused?.outcome, 'denied');
      assert.deepEqual(refused?.patientIds, []);
    });
  });
}
