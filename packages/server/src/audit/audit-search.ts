import type { SqlExecutor } from '../store/database.js';
import type { AuditEntry } from './audit-entry.js';
import {
  storedAuditColumns,
  storedAuditEntry,
  type StoredAuditEntry,
  type StoredAuditEventRow,
} from './audit-row.js';

export interface AuditEventFilter {
  /** Events that touched or asked for this patient ("who looked at my record"). */
  patientId?: string;
  subject?: string;
  organizationId?: string;
  outcome?: AuditEntry['outcome'];
  breakGlass?: boolean;
  /** Recorded at or after. */
  from?: Date;
  /** Recorded before. */
  to?: Date;
  count: number;
  /** Keyset paging: continue after the last event of the previous page. */
  before?: { recordedAt: Date; id: number };
}

/** The most events one page may ask for. */
export const MAX_AUDIT_PAGE_SIZE = 1_000;

/** Audit events matching every given condition, newest first. */
export async function searchAuditEvents(
  db: SqlExecutor,
  filter: AuditEventFilter,
): Promise<StoredAuditEntry[]> {
  if (!Number.isInteger(filter.count) || filter.count < 1 || filter.count > MAX_AUDIT_PAGE_SIZE) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_AUDIT_PAGE_SIZE}`);
  }
  const conditions: string[] = [];
  const params: unknown[] = [];
  const parameter = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // `@>` on the array (rather than `= any(...)`) is what the GIN index on patient_ids answers.
  if (filter.patientId !== undefined)
    conditions.push(`e.patient_ids @> array[${parameter(filter.patientId)}::text]`);
  if (filter.subject !== undefined) conditions.push(`e.subject = ${parameter(filter.subject)}`);
  if (filter.organizationId !== undefined) {
    conditions.push(`e.organization_id = ${parameter(filter.organizationId)}`);
  }
  if (filter.outcome !== undefined) conditions.push(`e.outcome = ${parameter(filter.outcome)}`);
  if (filter.breakGlass !== undefined) {
    // Literal rather than a parameter, so the planner can use the partial break-glass index.
    conditions.push(filter.breakGlass ? 'e.break_glass' : 'not e.break_glass');
  }
  if (filter.from !== undefined)
    conditions.push(`e.recorded_at >= ${parameter(filter.from.toISOString())}::timestamptz`);
  if (filter.to !== undefined)
    conditions.push(`e.recorded_at < ${parameter(filter.to.toISOString())}::timestamptz`);
  if (filter.before !== undefined) {
    const recordedAt = parameter(filter.before.recordedAt.toISOString());
    const id = parameter(filter.before.id);
    conditions.push(`(e.recorded_at, e.id) < (${recordedAt}::timestamptz, ${id}::bigint)`);
  }
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  const { rows } = await db.query<StoredAuditEventRow>(
    `select ${storedAuditColumns('e')} from audit_event e ${where}
      order by e.recorded_at desc, e.id desc limit ${parameter(filter.count)}`,
    params,
  );
  return rows.map(storedAuditEntry);
}
