import { fhirError } from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';
import { requestMark } from './task.js';

/** A plain FHIR write about to happen to a Task: which interaction, on which id, with what content. */
export interface TaskWrite {
  kind: 'create' | 'update' | 'patch' | 'delete';
  /** The Task written (absent for a create, whose id is not the client's). */
  id?: string;
  /** The Task as it would be stored (absent for a delete). */
  resource?: Readonly<Record<string, unknown>>;
}

const METHODS: Readonly<Record<TaskWrite['kind'], string>> = {
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

/**
 * Refuses a plain FHIR write (REST or Bundle entry) that would change a request's Task without its
 * ledger row, or make a Task that looks like a request but has none (hazard H-057): the request
 * operations move the two together in one transaction, so they are the only way in. The operations
 * write through the store, below the API, so this never stands in their way.
 */
export async function refuseRequestTaskWrite(db: SqlExecutor, write: TaskWrite): Promise<void> {
  if (write.id !== undefined && (await isRequestTask(db, write.id))) {
    throw fhirError(
      'request-task-managed',
      `Task/${write.id} is a Carebridge request, so a ${METHODS[write.kind]} would leave its request ledger behind: ` +
        'the owner answers it with $respond-to-request, the requester changes or cancels it with $update-request.',
      ['Task'],
    );
  }
  const mark = write.resource ? requestMark(write.resource) : undefined;
  if (mark !== undefined) {
    throw fhirError(
      'request-task-managed',
      `This Task carries a Carebridge request's mark (${mark}), but a request is made only with $create-request ` +
        '(and moved with $respond-to-request or $update-request), so that it has its ledger row.',
      [mark],
    );
  }
}

async function isRequestTask(db: SqlExecutor, taskId: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from request_ledger where task_id = $1', [taskId]);
  return rows.length > 0;
}
