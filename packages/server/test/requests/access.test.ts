import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import {
  action,
  assertRefused as refused,
  createRequest,
  p,
  requestBody,
  useRequestsWorld,
  value,
} from './support.js';

for (const kind of testDatabaseKinds()) {
  describe(`requests: access (${kind})`, () => {
    const world = useRequestsWorld(kind);
    const { post } = world;
    let id: string;

    before(async () => {
      id = (await createRequest(world, 'consultant', { category: 'fit-note' })).id;
    });

    it('shows a request to neither another practice nor another hospital (404, as if absent)', async () => {
      await refused(await post('$respond-to-request', 'gpB', action(id, 'accept')), 404, 'request-not-found');
      await refused(
        await post('$update-request', 'consultant2', action(id, 'cancel', p.str('reason', 'x'))),
        404,
        'request-not-found',
      );
      assert.equal((await world.list('$request-worklist', 'gpB')).length, 0);
      assert.equal((await world.list('$request-tracker', 'consultant2')).length, 0);
    });

    it('keeps each side to its own actions: only the owner answers, only the requester cancels', async () => {
      await refused(await post('$respond-to-request', 'consultant', action(id, 'accept')), 403, 'forbidden');
      await refused(
        await post('$update-request', 'gpA', action(id, 'cancel', p.str('reason', 'x'))),
        403,
        'forbidden',
      );
      await refused(await post('$update-request', 'consultant', action(id, 'start')), 403, 'forbidden');
    });

    it('refuses roles that do not make or answer requests, and patients', async () => {
      await refused(await post('$respond-to-request', 'pharmacist', action(id, 'accept')), 403, 'forbidden');
      await refused(
        await post('$create-request', 'patient1', requestBody({ category: 'other' })),
        403,
        'forbidden',
      );
      assert.equal((await world.call('GET', '/fhir/$request-worklist', 'patient1')).statusCode, 403);
    });

    it('lets operations watch any organisation’s requests but act on none', async () => {
      const worklist = await world.list('$request-worklist', 'ops', '?organization=Organization/practice-a');
      assert.ok(worklist.some((entry) => value(entry, 'request') === id));
      await refused(await post('$respond-to-request', 'ops', action(id, 'accept')), 403, 'forbidden');
      const foreign = await world.call(
        'GET',
        '/fhir/$request-worklist?organization=Organization/practice-b',
        'gpA',
      );
      await refused(foreign, 403, 'forbidden');
    });

    it('sends a request only about a patient the requester cares for, to an organisation caring for them', async () => {
      // Nobody at Kingsmere treats p3: the patient is not visible, so it is not found.
      await refused(
        await post('$create-request', 'consultant', requestBody({ category: 'other', patient: 'p3' })),
        404,
        'resource-not-found',
      );
      // Lowbridge has no relationship with p1: creating the request would open p1's record to it.
      await refused(
        await post('$create-request', 'consultant', requestBody({ category: 'other', owner: 'practice-b' })),
        422,
        'request-owner-unrelated',
      );
      await refused(
        await post('$create-request', 'consultant', requestBody({ category: 'other', owner: 'trust' })),
        400,
        'invalid-value',
      );
      await refused(
        await post('$create-request', 'consultant', requestBody({ category: 'colonoscopy' })),
        400,
        'invalid-code',
      );
    });

    it('audits refusals too, with who asked', async () => {
      await post('$respond-to-request', 'gpB', action(id, 'accept'));
      const entry = world.t.audit.entries.filter((e) => e.interaction === '$respond-to-request').at(-1);
      assert.equal(entry?.outcome, 'denied');
      assert.equal(entry?.principal?.subject, 'gp@practice-b');
    });

    it('takes operation inputs only as Parameters, never in the URL', async () => {
      const response = await world.call(
        'POST',
        `/fhir/$respond-to-request?request=${id}`,
        'gpA',
        action(id, 'accept'),
      );
      assert.equal(response.statusCode, 400);
      const wrongMethod = await world.call('GET', '/fhir/$create-request', 'consultant');
      assert.equal(wrongMethod.statusCode, 405);
    });
  });
}
