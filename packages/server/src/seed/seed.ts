import type { FastifyInstance } from 'fastify';
import { FhirError } from '@carebridge/domain';
import type { Principal } from '../access/principal.js';
import type { Database } from '../store/database.js';
import { buildDemoDirectory } from './demo-directory.js';

/** Seeding acts as itself: a trusted internal principal, recorded as such in the audit trail. */
export const SEED_PRINCIPAL: Principal = {
  kind: 'system',
  subject: 'carebridge-demo-seed',
  displayName: 'Carebridge demo data seeding',
  role: 'system',
  clientId: 'carebridge-internal',
  scopes: [{ context: 'system', resourceType: '*', permissions: new Set(['c', 'r', 'u', 'd', 's']) }],
  patientAccess: 'all',
};

/**
 * Seeds the demo directory into an empty database through the FHIR interactions themselves (a
 * transaction Bundle of PUTs), so demo data passes the same validation, indexing, access checks
 * and audit as anything a client sends. Returns false when the database already holds data.
 */
export async function seedDemoDirectoryIfEmpty(app: FastifyInstance, db: Database): Promise<boolean> {
  const { rows } = await db.query('select 1 from resource limit 1');
  if (rows.length > 0) return false;
  // The demo inpatients were admitted two days before the first start, so their stays look current.
  const admittedOn = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const response = await app.fhirClient.call(SEED_PRINCIPAL, 'POST', '', buildDemoDirectory({ admittedOn }), {
    requestId: 'carebridge-demo-seed',
  });
  if (response.status !== 200) {
    throw new FhirError({ code: 'internal-error', diagnostics: `Seeding failed with ${response.status}` });
  }
  return true;
}
