import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, FhirResource, Patient } from 'fhir/r4';
import type { Query } from './client';
import { IDS_PER_SEARCH, readByIds, type Search } from './lookup';

/** A server holding patients p0…p(n-1), answering `_id` searches and recording each query. */
function server(known: number) {
  const queries: Query[] = [];
  const search = (async (type: string, query: Query) => {
    queries.push(query);
    const ids = String(query._id).split(',');
    const entry = ids
      .filter((id) => Number(id.slice(1)) < known)
      .map((id) => ({ resource: { resourceType: type, id } as FhirResource }));
    return { resourceType: 'Bundle', type: 'searchset', entry } as Bundle;
  }) as Search;
  return { search, queries };
}

describe('Reading resources by id', () => {
  it('asks for at most 100 ids a search, and gathers every page into one map by reference', async () => {
    const { search, queries } = server(1000);
    const ids = Array.from({ length: 2 * IDS_PER_SEARCH + 1 }, (_, n) => `p${n}`);
    const found = await readByIds<Patient>('Patient', ids, search);
    assert.equal(IDS_PER_SEARCH, 100);
    assert.deepEqual(
      queries.map((query) => [String(query._id).split(',').length, query._count]),
      [
        [100, 100],
        [100, 100],
        [1, 1],
      ],
    );
    assert.equal(found.size, 201);
    assert.equal(found.get('Patient/p200')?.id, 'p200');
  });

  it('asks once for a repeated id, never for a blank one, and not at all for none', async () => {
    const { search, queries } = server(1000);
    await readByIds<Patient>('Patient', ['p1', '', 'p1', 'p2'], search);
    assert.deepEqual(queries, [{ _id: 'p1,p2', _count: 2 }]);
    const none = server(1000);
    assert.equal((await readByIds<Patient>('Patient', [''], none.search)).size, 0);
    assert.deepEqual(none.queries, []);
  });

  it('leaves out what the server did not return', async () => {
    const { search } = server(2);
    const found = await readByIds<Patient>('Patient', ['p0', 'p1', 'p7'], search);
    assert.deepEqual([...found.keys()], ['Patient/p0', 'Patient/p1']);
  });
});
