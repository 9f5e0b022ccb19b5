import { createHash } from 'node:crypto';
import {
  DEFAULT_ALARM_CONFIG,
  addDuration,
  fhirError,
  holidaySet,
  type AlarmConfig,
  type Clock,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { CarebridgeRole } from '../access/principal.js';
import type { Database } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { Outbox } from '../transport/index.js';
import type { Actor, ExchangeDocumentRow } from './ledger-store.js';

export interface ExchangeOptions {
  /** ODS code of the practice that receives letters for patients with no registered practice. */
  holdingPracticeOds: string;
  alarms: AlarmConfig;
}

export const DEFAULT_EXCHANGE_OPTIONS: ExchangeOptions = {
  holdingPracticeOds: 'Y99900',
  alarms: DEFAULT_ALARM_CONFIG,
};

/** What every exchange operation works with. */
export interface ExchangeContext {
  store: ResourceStore;
  clock: Clock;
  outbox: Outbox;
  options: ExchangeOptions;
  /**
   * The database itself, for the one operation that commits in several transactions (a backlog
   * release commits batch by batch, so a crash loses none of the batches before it).
   */
  database?: Database;
}

/** Operations staff and administrators: backlogs, the review queue, every sender's reports. */
export function requireOperations(access: AccessContext, what: string): void {
  if (!isOperationsOrAdmin(access)) throw fhirError('forbidden', `Only operations staff may ${what}.`);
}

/** Roles that send documents (and trusted integrations, such as a trust's EPR feed). */
const SENDER_ROLES: ReadonlySet<CarebridgeRole> = new Set(['consultant', 'secretary', 'gp', 'system']);
/** Only a responsible clinician authorises a document for release. */
const AUTHORISER_ROLES: ReadonlySet<CarebridgeRole> = new Set(['consultant']);
/** Staff of a receiving organisation who open, file or reject what it received. */
const RECIPIENT_ROLES: ReadonlySet<CarebridgeRole> = new Set([
  'gp',
  'practice-admin',
  'consultant',
  'secretary',
]);

export function requireRole(access: AccessContext, allowed: 'sender' | 'authoriser' | 'recipient'): void {
  const roles =
    allowed === 'sender' ? SENDER_ROLES : allowed === 'authoriser' ? AUTHORISER_ROLES : RECIPIENT_ROLES;
  if (!roles.has(access.principal.role)) {
    throw fhirError(
      'forbidden',
      `The ${access.principal.role} role may not ${
        allowed === 'sender'
          ? 'send documents'
          : allowed === 'authoriser'
            ? 'authorise documents'
            : 'act on received documents'
      }.`,
    );
  }
}

export function actorOf(access: AccessContext): Actor {
  const { principal } = access;
  return {
    subject: principal.subject,
    role: principal.role,
    ...(principal.organizationId === undefined ? {} : { organizationId: principal.organizationId }),
  };
}

/** Trusted integrations act for any sender; everyone else only for their own organisation. */
export function actsForSender(
  access: AccessContext,
  document: Pick<ExchangeDocumentRow, 'senderOrgId'>,
): boolean {
  const { principal } = access;
  if (principal.patientAccess === 'all') return true;
  return principal.organizationId !== undefined && principal.organizationId === document.senderOrgId;
}

export function isOperations(access: AccessContext): boolean {
  return access.principal.role === 'ops';
}

/** Operations or an administrator: who may run and read the backlog and review-queue operations. */
export function isOperationsOrAdmin(access: AccessContext): boolean {
  return access.principal.role === 'ops' || access.principal.role === 'admin';
}

/** Own patient ids of a patient login (and those they are proxy for). */
export function ownPatientIds(access: AccessContext): string[] {
  const { principal } = access;
  if (principal.kind !== 'patient') return [];
  return [...(principal.patientId ? [principal.patientId] : []), ...(principal.proxyForPatientIds ?? [])];
}

/**
 * Whole days past the contractual delivery deadline (0 when on time): what a practice sees as
 * "delayed: N days late", so a letter released from a backlog is never taken for a fresh one.
 */
export function delayedDays(document: ExchangeDocumentRow, now: Date, config: AlarmConfig): number {
  const deadline = addDuration(
    document.eventAt,
    config.delivery[document.kind],
    holidaySet(config.bankHolidays),
  );
  const late = now.getTime() - deadline.getTime();
  return late <= 0 ? 0 : Math.ceil(late / 86_400_000);
}

/**
 * A stable outbox message id for a ledger row, so re-running the routing of the same row (a retry
 * after a crash) enqueues the same message, which the outbox de-duplicates.
 */
export function messageIdFor(rowId: string, documentId: string): string {
  const hex = createHash('sha256').update(`delivery-row:${rowId}:${documentId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const CORRELATION_PREFIX = 'delivery-row:';
