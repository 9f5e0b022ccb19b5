import { extractIndexRows, ManualClock, type FhirResource } from '@carebridge/domain';
import type { SqlExecutor } from '../../src/store/database.js';
import { ResourceStore } from '../../src/store/resource-store.js';

export interface TestWriteOptions {
  lastUpdated?: Date;
  deleted?: boolean;
}

const clock = new ManualClock();
const store = new ResourceStore({ clock, indexRows: extractIndexRows });

/**
 * Stores a resource under its own id through the real write path, at a chosen last-updated time
 * (and then deletes it, when asked), and returns its rid.
 */
export async function insertTestResource(
  executor: SqlExecutor,
  resource: FhirResource,
  options: TestWriteOptions = {},
): Promise<number> {
  return writeTestResource(executor, resource, options);
}

/** Writes a new version of a resource (keeping its rid), as an update does. */
export async function updateTestResource(
  executor: SqlExecutor,
  resource: FhirResource,
  options: TestWriteOptions = {},
): Promise<number> {
  return writeTestResource(executor, resource, options);
}

async function writeTestResource(executor: SqlExecutor, resource: FhirResource, options: TestWriteOptions) {
  if (resource.id === undefined) throw new Error('Test resources need an id');
  clock.set(options.lastUpdated ?? new Date());
  await store.put(executor, { ...resource, id: resource.id });
  if (options.deleted) await store.delete(executor, resource.resourceType, resource.id);
  const { rows } = await executor.query<{ rid: number }>(
    'select rid from resource where resource_type = $1 and id = $2',
    [resource.resourceType, resource.id],
  );
  return (rows[0] as { rid: number }).rid;
}
