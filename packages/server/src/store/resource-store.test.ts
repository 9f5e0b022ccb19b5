import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emptyIndexRows, FhirError, ManualClock, type FhirResource } from '@carebridge/domain';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import type { SqlExecutor } from './database.js';
import { ResourceStore } from './resource-store.js';

/** A minimal indexer for store tests: each identifier value becomes an 'identifier' token row. */
function identifierTokens(resource: FhirResource) {
  const rows = emptyIndexRows();
  const identifiers = Array.isArray(resource.identifier) ? (resource.identifier as { value?: string }[]) : [];
  for (const identifier of identifiers) {
    rows.token.push({ param: 'identifier', system: null, code: identifier.value ?? null, text: null });
  }
  return rows;
}

async function idsWithIdentifier(db: SqlExecutor, value: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select r.id from resource r join search_token t on t.rid = r.rid
      where t.resource_type = 'Patient' and t.param = 'identifier' and t.code = $1 and not r.deleted limit 2`,
    [value],
  );
  return rows.map((row) => row.id);
}

for (const kind of testDatabaseKinds()) {
  describe(`ResourceStore on ${kind}`, () => {
    let testDb: TestDatabase;
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const store = new ResourceStore({ clock, indexRows: identifierTokens });

    before(async () => {
      testDb = await createTestDatabase(kind);
    });
    after(async () => {
      await testDb.drop();
    });

    it('creates version 1 with a server-assigned id and meta', async () => {
      const row = await store.create(testDb.db, { resourceType: 'Patient', id: 'client-id', active: true });
      assert.notEqual(row.id, 'client-id');
      assert.equal(row.versionId, 1);
      const stored = JSON.parse(row.content) as FhirResource;
      assert.deepEqual(stored.meta, { versionId: '1', lastUpdated: '2026-03-01T10:00:00.000Z' });
      assert.equal(Object.keys(stored)[0], 'resourceType');
      const read = await store.read(testDb.db, 'Patient', row.id);
      assert.equal(read?.content, row.content);
    });

    it('creates several first versions in one statement, each with its history and index rows', async () => {
      const patient = (id: string, value: string): FhirResource & { id: string } =>
        ({ resourceType: 'Patient', id, identifier: [{ value }] }) as FhirResource & { id: string };
      const rows = await store.createAllWithIds(testDb.db, [
        patient('many-1', 'MANY-1'),
        patient('many-2', 'MANY-2'),
      ]);
      assert.deepEqual(
        rows.map((row) => [row.id, row.versionId]),
        [
          ['many-1', 1],
          ['many-2', 1],
        ],
      );
      assert.deepEqual(await idsWithIdentifier(testDb.db, 'MANY-2'), ['many-2']);
      const history = await store.history(testDb.db, { resourceType: 'Patient', id: 'many-1', count: 10 });
      assert.deepEqual(
        history.map((row) => [row.versionId, row.method]),
        [[1, 'POST']],
      );
      await assert.rejects(
        store.createAllWithIds(testDb.db, [patient('many-3', 'MANY-3'), patient('many-1', 'MANY-1')]),
        /already exist/,
      );
    });

    it('writes the index rows with the resource and replaces them on update', async () => {
      const created = await store.create(testDb.db, {
        resourceType: 'Patient',
        identifier: [{ value: 'idx-1' }],
      });
      assert.deepEqual(await idsWithIdentifier(testDb.db, 'idx-1'), [created.id]);
      await store.put(testDb.db, {
        resourceType: 'Patient',
        id: created.id,
        identifier: [{ value: 'idx-2' }],
      });
      assert.deepEqual(await idsWithIdentifier(testDb.db, 'idx-1'), []);
      assert.deepEqual(await idsWithIdentifier(testDb.db, 'idx-2'), [created.id]);
    });

    it('update with a stale If-Match version is refused with version-conflict and changes nothing', async () => {
      const created = await store.create(testDb.db, { resourceType: 'Patient', active: true });
      await store.put(testDb.db, { resourceType: 'Patient', id: created.id, active: false }, { ifMatch: 1 });
      await assert.rejects(
        store.put(testDb.db, { resourceType: 'Patient', id: created.id, gender: 'male' }, { ifMatch: 1 }),
        (error: unknown) => error instanceof FhirError && error.problems[0]?.code === 'version-conflict',
      );
      const current = await store.read(testDb.db, 'Patient', created.id);
      assert.equal(current?.versionId, 2);
      assert.equal((JSON.parse(current?.content ?? '{}') as FhirResource).gender, undefined);
    });

    it('two writers with the same If-Match: exactly one wins', async () => {
      const created = await store.create(testDb.db, { resourceType: 'Patient' });
      const outcomes = await Promise.allSettled([
        store.put(testDb.db, { resourceType: 'Patient', id: created.id, gender: 'male' }, { ifMatch: 1 }),
        store.put(testDb.db, { resourceType: 'Patient', id: created.id, gender: 'female' }, { ifMatch: 1 }),
      ]);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 1);
      assert.equal((await store.read(testDb.db, 'Patient', created.id))?.versionId, 2);
    });

    it('put with a client id creates the resource, then updates it', async () => {
      const first = await store.put(testDb.db, { resourceType: 'Organization', id: 'org-a', name: 'A' });
      const second = await store.put(testDb.db, { resourceType: 'Organization', id: 'org-a', name: 'B' });
      assert.deepEqual([first.created, first.row.versionId], [true, 1]);
      assert.deepEqual([second.created, second.row.versionId], [false, 2]);
    });

    it('delete keeps earlier versions readable and is idempotent', async () => {
      const created = await store.create(testDb.db, {
        resourceType: 'Patient',
        identifier: [{ value: 'gone' }],
      });
      const deleted = await store.delete(testDb.db, 'Patient', created.id);
      assert.equal(deleted?.versionId, 2);
      assert.equal((await store.read(testDb.db, 'Patient', created.id))?.deleted, true);
      assert.equal((await store.readVersion(testDb.db, 'Patient', created.id, 1))?.content, created.content);
      assert.deepEqual(await idsWithIdentifier(testDb.db, 'gone'), []);
      assert.equal(await store.delete(testDb.db, 'Patient', created.id), undefined);
    });

    it('history lists every version newest first, including the deletion', async () => {
      const created = await store.create(testDb.db, { resourceType: 'Flag' });
      clock.advance(1000);
      await store.put(testDb.db, { resourceType: 'Flag', id: created.id, status: 'active' });
      await store.delete(testDb.db, 'Flag', created.id);
      const history = await store.history(testDb.db, { resourceType: 'Flag', id: created.id, count: 10 });
      assert.deepEqual(
        history.map((h) => [h.versionId, h.method, h.deleted]),
        [
          [3, 'DELETE', true],
          [2, 'PUT', false],
          [1, 'POST', false],
        ],
      );
    });

    it('50 parallel conditional creates with one condition make exactly one resource', async () => {
      const attempts = Array.from({ length: 50 }, () =>
        testDb.db.transaction((tx) =>
          store.conditionalCreate(
            tx,
            { resourceType: 'Patient', identifier: [{ value: 'race-1' }] },
            'Patient?identifier=race-1',
            (inner) => idsWithIdentifier(inner, 'race-1'),
          ),
        ),
      );
      const results = await Promise.all(attempts);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.row.id)).size, 1);
      assert.equal((await idsWithIdentifier(testDb.db, 'race-1')).length, 1);
    });

    it('conditional create finds a match made without a condition and creates nothing', async () => {
      const existing = await store.create(testDb.db, {
        resourceType: 'Patient',
        identifier: [{ value: 'pre' }],
      });
      const result = await testDb.db.transaction((tx) =>
        store.conditionalCreate(
          tx,
          { resourceType: 'Patient', identifier: [{ value: 'pre' }] },
          'Patient?identifier=pre',
          (inner) => idsWithIdentifier(inner, 'pre'),
        ),
      );
      assert.deepEqual([result.created, result.row.id], [false, existing.id]);
    });
  });
}
