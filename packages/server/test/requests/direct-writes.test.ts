import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { testDatabaseKinds } from '../support/databases.js';
import { json, outcomeCodes } from '../support/test-app.js';
import {
  action,
  assertRefused,
  createRequest,
  useRequestsWorld,
  value,
  type ParametersLike,
} from './support.js';

type Task = Record<string, unknown> & { id: string; status: string; meta: { versionId: string } };

const PATCH_HEADERS = { 'content-type': 'application/json-patch+json' };
const completePatch = [{ op: 'replace', path: '/status', value: 'completed' }];

/** A Task that is no request: a practice's own work item. */
const plainTask = (id?: string) => ({
  resourceType: 'Task',
  ...(id === undefined ? {} : { id }),
  status: 'requested',
  intent: 'order',
  for: { reference: 'Patient/p1' },
  owner: { reference: 'Organization/practice-a' },
  description: 'Review the wound',
});

/**
 * Hazard H-057: a request is a FHIR Task and a ledger row that the request operations move together.
 * A plain FHIR write to the Task, over REST or in a Bundle, would move one without the other, so it is
 * refused; Tasks that are not requests are written as before.
 */
for (const kind of testDatabaseKinds()) {
  describe(`requests: direct writes to a request's Task are refused (${kind})`, () => {
    const world = useRequestsWorld(kind);
    let id: string;
    let task: Task;

    before(async () => {
      id = (await createRequest(world, 'consultant', { category: 'other' })).id;
      task = json<Task>(await world.t.fhir('GET', `/fhir/Task/${id}`));
    });

    /** The request as the ledger and the stored Task both have it. */
    const state = async (taskId = id) => {
      const { rows } = await world.t.database.db.query<{ status: string; events: number }>(
        `select q.status, (select count(*)::int from request_event e where e.request_id = q.id) as events
           from request_ledger q where q.task_id = $1`,
        [taskId],
      );
      const stored = await world.t.fhir('GET', `/fhir/Task/${taskId}`);
      const current = stored.statusCode === 200 ? json<Task>(stored) : undefined;
      return {
        ledger: rows[0],
        task: current ? { status: current.status, version: current.meta.versionId } : stored.statusCode,
      };
    };
    const taskCount = async () =>
      json<{ total: number }>(await world.t.fhir('GET', '/fhir/Task?_summary=count')).total;
    const transaction = (...entry: unknown[]) =>
      world.t.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
    /** A refusal naming the operation to use, with the request and its Task left as they were. */
    const refusedUnchanged = async (
      response: LightMyRequestResponse,
      earlier: unknown,
      operation: RegExp,
    ) => {
      assertRefused(response, 409, 'request-task-managed');
      assert.match(
        json<{ issue: Array<{ diagnostics: string }> }>(response).issue[0]?.diagnostics ?? '',
        operation,
      );
      assert.deepEqual(await state(), earlier);
    };

    it('refuses PUT, PATCH and DELETE of a request Task, naming the operations, and leaves it as it was', async () => {
      const earlier = await state();
      assert.deepEqual(earlier, {
        ledger: { status: 'requested', events: 1 },
        task: { status: 'requested', version: '1' },
      });
      const answer = /\$respond-to-request.*\$update-request/;
      await refusedUnchanged(
        await world.t.fhir('PUT', `/fhir/Task/${id}`, { ...task, status: 'completed' }),
        earlier,
        answer,
      );
      // Even a PUT of the Task exactly as stored, and by the practice that owns it.
      await refusedUnchanged(await world.call('PUT', `/fhir/Task/${id}`, 'gpA', task), earlier, answer);
      await refusedUnchanged(
        await world.t.fhir('PATCH', `/fhir/Task/${id}`, completePatch, PATCH_HEADERS),
        earlier,
        answer,
      );
      await refusedUnchanged(await world.t.fhir('DELETE', `/fhir/Task/${id}`), earlier, answer);
      await refusedUnchanged(
        await world.t.fhir('DELETE', `/fhir/Task/${id}`, undefined, { 'if-match': 'W/"1"' }),
        earlier,
        answer,
      );
    });

    it('answers a conditional update of Tasks 405, as for every type, leaving the request as it was', async () => {
      const earlier = await state();
      const response = await world.t.fhir('PUT', `/fhir/Task?_id=${id}`, { ...task, status: 'completed' });
      assertRefused(response, 405, 'method-not-allowed');
      assert.deepEqual(await state(), earlier);
    });

    it('refuses to create a Task that claims to be a request, pointing at the mark and at $create-request', async () => {
      const { id: _id, meta: _meta, ...copy } = task;
      const tasks = await taskCount();
      const created = await world.t.fhir('POST', '/fhir/Task', copy);
      assertRefused(created, 409, 'request-task-managed');
      const issue = json<{ issue: Array<{ diagnostics: string; expression: string[] }> }>(created).issue[0];
      assert.deepEqual(issue?.expression, ['Task.extension[0].url']);
      assert.match(issue?.diagnostics ?? '', /\$create-request/);
      // Each mark on its own is a claim: the request status, the request category.
      const businessStatus = { ...plainTask(), businessStatus: task.businessStatus };
      const byStatus = await world.t.fhir('POST', '/fhir/Task', businessStatus);
      assertRefused(byStatus, 409, 'request-task-managed');
      assert.deepEqual(json<{ issue: Array<{ expression: string[] }> }>(byStatus).issue[0]?.expression, [
        'Task.businessStatus.coding[0].system',
      ]);
      const byCategory = await world.t.fhir('POST', '/fhir/Task', { ...plainTask(), code: task.code });
      assertRefused(byCategory, 409, 'request-task-managed');
      const conditional = await world.t.fhir('POST', '/fhir/Task', copy, {
        'if-none-exist': 'status=requested',
      });
      assertRefused(conditional, 409, 'request-task-managed');
      // A PUT to a new id is a create too.
      assertRefused(
        await world.t.fhir('PUT', '/fhir/Task/not-a-request', { ...copy, id: 'not-a-request' }),
        409,
        'request-task-managed',
      );
      assert.equal(await taskCount(), tasks);
    });

    it('refuses each of those writes inside a transaction, applying none of it', async () => {
      const earlier = await state();
      const tasks = await taskCount();
      const { id: _id, meta: _meta, ...copy } = task;
      const patchBinary = {
        resourceType: 'Binary',
        contentType: 'application/json-patch+json',
        data: Buffer.from(JSON.stringify(completePatch)).toString('base64'),
      };
      const plainCreate = {
        fullUrl: 'urn:uuid:1c1f9a36-3f0c-4d5e-9a47-5b1b1c1d1e1f',
        resource: plainTask(),
        request: { method: 'POST', url: 'Task' },
      };
      const writes = [
        { resource: { ...task, status: 'completed' }, request: { method: 'PUT', url: `Task/${id}` } },
        { resource: patchBinary, request: { method: 'PATCH', url: `Task/${id}` } },
        { request: { method: 'DELETE', url: `Task/${id}` } },
        { resource: copy, request: { method: 'POST', url: 'Task' } },
        { resource: copy, request: { method: 'POST', url: 'Task', ifNoneExist: 'status=requested' } },
      ];
      for (const write of writes) {
        const response = await transaction(plainCreate, write);
        assertRefused(response, 409, 'request-task-managed');
        const expression =
          json<{ issue: Array<{ expression: string[] }> }>(response).issue[0]?.expression ?? [];
        assert.match(expression[0] ?? '', /^Bundle\.entry\[1\]/, JSON.stringify(write.request));
        assert.deepEqual(await state(), earlier);
      }
      assert.equal(await taskCount(), tasks, 'the plain Task created in the same transaction was undone');
    });

    it('refuses them in a batch entry by entry, applying the others', async () => {
      const earlier = await state();
      const response = await world.t.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'DELETE', url: `Task/${id}` } },
          { resource: plainTask('batch-plain'), request: { method: 'PUT', url: 'Task/batch-plain' } },
        ],
      });
      assert.equal(response.statusCode, 200, response.body);
      const entries = json<{
        entry: Array<{
          response: {
            status: string;
            outcome?: { issue: Array<{ details: { coding: Array<{ code: string }> } }> };
          };
        }>;
      }>(response).entry;
      assert.equal(entries[0]?.response.status, '409 Conflict');
      assert.equal(entries[0]?.response.outcome?.issue[0]?.details.coding[0]?.code, 'request-task-managed');
      assert.equal(entries[1]?.response.status, '201 Created');
      assert.deepEqual(await state(), earlier);
    });

    it('audits a refused write as denied, with who tried and which Task', async () => {
      await world.call('PATCH', `/fhir/Task/${id}`, 'gpA', completePatch, PATCH_HEADERS);
      const entry = world.t.audit.entries
        .filter((e) => e.interaction === 'patch' && e.resourceId === id)
        .at(-1);
      assert.equal(entry?.outcome, 'denied');
      assert.equal(entry?.httpStatus, 409);
      assert.equal(entry?.principal?.subject, 'gp@practice-a');
    });

    it('writes Tasks that are not requests as earlier: create, update, patch and delete', async () => {
      const created = await world.t.fhir('POST', '/fhir/Task', plainTask());
      assert.equal(created.statusCode, 201, created.body);
      const plain = json<Task>(created);
      const updated = await world.t.fhir('PUT', `/fhir/Task/${plain.id}`, {
        ...plainTask(plain.id),
        status: 'accepted',
      });
      assert.equal(updated.statusCode, 200, updated.body);
      const patched = await world.t.fhir('PATCH', `/fhir/Task/${plain.id}`, completePatch, PATCH_HEADERS);
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(json<Task>(patched).status, 'completed');
      const inTransaction = await transaction({
        resource: { ...plainTask(plain.id), status: 'cancelled' },
        request: { method: 'PUT', url: `Task/${plain.id}` },
      });
      assert.equal(inTransaction.statusCode, 200, inTransaction.body);
      assert.equal((await world.t.fhir('DELETE', `/fhir/Task/${plain.id}`)).statusCode, 204);
      // Patching a plain Task into a look-alike of a request is refused like creating one.
      const other = json<Task>(await world.t.fhir('POST', '/fhir/Task', plainTask()));
      const disguise = [{ op: 'add', path: '/businessStatus', value: task.businessStatus }];
      const response = await world.t.fhir('PATCH', `/fhir/Task/${other.id}`, disguise, PATCH_HEADERS);
      assertRefused(response, 409, 'request-task-managed');
      assert.deepEqual(json<{ issue: Array<{ expression: string[] }> }>(response).issue[0]?.expression, [
        'Task.businessStatus.coding[0].system',
      ]);
    });

    it('still lets the request operations move the Task and the ledger together', async () => {
      const accepted = await world.respond('gpA', action(id, 'accept'));
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.equal(value(json<ParametersLike>(accepted).parameter, 'outcome'), 'accepted');
      assert.deepEqual(await state(), {
        ledger: { status: 'accepted', events: 2 },
        task: { status: 'accepted', version: '2' },
      });
      const completed = await world.update('gpA', action(id, 'complete'));
      assert.equal(completed.statusCode, 200, completed.body);
      assert.deepEqual(await state(), {
        ledger: { status: 'completed', events: 3 },
        task: { status: 'completed', version: '3' },
      });
      assert.deepEqual(outcomeCodes(await world.t.fhir('DELETE', `/fhir/Task/${id}`)), [
        'request-task-managed',
      ]);
    });
  });
}
