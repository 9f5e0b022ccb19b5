import type { Database, SqlExecutor } from '../../src/store/database.js';
import type { AuditEntry } from '../../src/audit/audit-entry.js';

/**
 * Builders shared by the audit tests (kept beside them because tests may only live here). Not used
 * by the server itself.
 */
let sequence = 0;

/** A typical staff read of one patient's Observation, with any field overridden. */
export function sampleAuditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  sequence += 1;
  return {
    requestId: `req-${sequence}`,
    recordedAt: new Date(Date.UTC(2026, 2, 1, 10, 0, 0, sequence % 1000)),
    principal: {
      subject: 'user-gp-1',
      displayName: 'Dr Ada Lovelace',
      role: 'gp',
      organizationId: 'org-practice-1',
      odsCode: 'A81001',
      clientId: 'carebridge-ui',
    },
    action: 'R',
    interaction: 'read',
    resourceType: 'Observation',
    resourceId: `obs-${sequence}`,
    patientIds: ['patient-1'],
    outcome: 'success',
    httpStatus: 200,
    purposeOfUse: 'TREAT',
    breakGlass: false,
    source: 'api',
    remoteAddress: '192.0.2.10',
    ...overrides,
  };
}

/** Thrown to roll a test transaction back after looking inside it. */
class RollBack extends Error {}

/**
 * Runs `work` in a transaction that is always rolled back, and returns its result: lets a test
 * tamper with the audit tables (as their owner) without leaving the damage behind.
 */
export async function inRolledBackTransaction<T>(
  db: Database,
  work: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
  let result: { value: T } | undefined;
  try {
    await db.transaction(async (tx) => {
      result = { value: await work(tx) };
      throw new RollBack();
    });
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  if (result === undefined) throw new Error('The transaction did not run');
  return result.value;
}
