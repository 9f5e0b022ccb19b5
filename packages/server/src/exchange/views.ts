import {
  LEDGER_STATES,
  TERMINAL_LEDGER_STATES,
  evaluateAlarms,
  fhirError,
  latenessLabel,
  type Alarm,
  type EndpointSnapshot,
  type LedgerRowSnapshot,
  type LedgerState,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import { cappedCount } from '../store/capped-count.js';
import { endpointAcknowledgements } from '../transport/index.js';
import { checkedReleaseId } from './backlog-release.js';
import { actsForSender, isOperations, ownPatientIds, type ExchangeContext } from './context.js';
import { heldSnapshots } from './review-queue.js';
import {
  deliveryColumns,
  deliveryRowsOf,
  eventsOf,
  findDocument,
  normaliseDelivery,
  type DeliveryEventRow,
  type DeliveryRow,
  type ExchangeDocumentRow,
} from './ledger-store.js';
import { bool, code, group, instant, int, parameters, ref, str, type Part } from './parameters.js';
import type { Bundle, Parameters } from 'fhir/r4.js';

/**
 * The read side of exchange: a document's ledger (the sender sees every recipient; a recipient its
 * own row; a patient their own copy), a recipient's inbox, and the alarms due now.
 */

/** Rows a recipient may see: only what has reached it (delivered or rejected by it). */
const reached = (row: DeliveryRow): boolean => row.deliveredAt !== null || row.rejectedAt !== null;

export async function documentLedger(
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const document = await findDocument(tx, documentId);
  const rows = document ? visibleRows(access, document, await deliveryRowsOf(tx, document.rowId)) : [];
  if (!document || rows === undefined) {
    throw fhirError('document-not-found', `No document ${documentId} is visible to you.`);
  }
  const events = await eventsOf(
    tx,
    rows.map((row) => row.id),
  );
  const body = parameters([
    ...documentParts(document),
    ...rows.map((row) => group('recipient', rowParts(row, events))),
  ]);
  return { body, patientIds: document.patientId === null ? [] : [document.patientId] };
}

/**
 * The document itself (the stored document Bundle), for exactly the parties who may see its ledger:
 * the sender, a recipient it has reached, the patient, operations. Bundles are outside the patient
 * compartment, so a plain `GET Bundle/<id>` is refused to everyone but trusted integrations.
 */
export async function documentContent(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
): Promise<{ body: Bundle; patientIds: string[] }> {
  const document = await findDocument(tx, documentId);
  const rows = document ? visibleRows(access, document, await deliveryRowsOf(tx, document.rowId)) : [];
  if (!document || rows === undefined) {
    throw fhirError('document-not-found', `No document ${documentId} is visible to you.`);
  }
  const stored = await ctx.store.read(tx, 'Bundle', document.bundleId);
  if (!stored) throw fhirError('internal-error', `The stored Bundle of ${documentId} is missing.`);
  return {
    body: JSON.parse(stored.content) as Bundle,
    patientIds: document.patientId === null ? [] : [document.patientId],
  };
}

/** undefined when the caller may not see the document at all. */
function visibleRows(
  access: AccessContext,
  document: ExchangeDocumentRow,
  rows: DeliveryRow[],
): DeliveryRow[] | undefined {
  if (isOperations(access) || actsForSender(access, document)) return rows;
  const patients = ownPatientIds(access);
  const orgId = access.principal.organizationId;
  const mine = rows.filter((row) =>
    patients.length > 0
      ? row.recipientPatientId !== null && patients.includes(row.recipientPatientId) && reached(row)
      : orgId !== undefined &&
        row.recipientOrgId === orgId &&
        row.recipientKind !== 'patient' &&
        reached(row),
  );
  return mine.length > 0 ? mine : undefined;
}

function documentParts(document: ExchangeDocumentRow): Part[] {
  return [
    str('document', document.documentId),
    str('set', document.setId),
    int('version', document.version),
    code('kind', document.kind),
    str('title', document.title),
    code('status', document.status),
    code('holdReason', document.holdReason),
    str('holdDetail', document.holdDetail),
    ref('patient', document.patientId === null ? null : `Patient/${document.patientId}`),
    ref('sender', document.senderOrgId === null ? null : `Organization/${document.senderOrgId}`),
    ref('documentReference', `DocumentReference/${document.documentReferenceId}`),
    str('replaces', document.replaces),
    instant('eventAt', document.eventAt),
    bool('hasMedicationChanges', document.hasMedicationChanges),
    bool('hasActions', document.hasActions),
    instant('heldAt', document.heldAt),
    code('resolution', document.resolution),
    str('resolutionDetail', document.resolutionDetail),
    instant('heldForRelease', document.heldForReleaseAt),
    str('release', document.releaseId),
  ];
}

/** "delayed: 3 days late" as a release labelled it, or from the days late of an ordinary delivery. */
export function latenessOf(row: Pick<DeliveryRow, 'lateness' | 'delayedDays'>): string | undefined {
  if (row.lateness !== null) return row.lateness;
  return row.delayedDays > 0 ? latenessLabel(row.delayedDays, true) : undefined;
}

function rowParts(row: DeliveryRow, events: readonly DeliveryEventRow[]): Part[] {
  return [
    str('row', row.id),
    code('recipientKind', row.recipientKind),
    ref('organization', row.recipientOrgId === null ? null : `Organization/${row.recipientOrgId}`),
    str('ods', row.recipientOds),
    ref('patient', row.recipientPatientId === null ? null : `Patient/${row.recipientPatientId}`),
    code('transport', row.transport),
    code('state', row.state),
    instant('created', row.createdAt),
    instant('authorised', row.authorisedAt),
    instant('queued', row.queuedAt),
    instant('delivered', row.deliveredAt),
    instant('opened', row.openedAt),
    instant('filed', row.filedAt),
    instant('rejected', row.rejectedAt),
    instant('superseded', row.supersededAt),
    instant('withdrawn', row.withdrawnAt),
    code('rejectionReason', row.rejectionReason),
    str('rejectionDetail', row.rejectionDetail),
    str('outboxMessage', row.outboxMessageId),
    int('delayedDays', row.delayedDays),
    str('lateness', latenessOf(row)),
    str('release', row.releaseId),
    str('duplicateOf', row.duplicateOf),
    str('reroutedTo', row.reroutedTo),
    str('reroutedFrom', row.reroutedFrom),
    ...events
      .filter((event) => event.rowId === row.id)
      .map((event) =>
        group('event', [
          code('from', event.from),
          code('to', event.to),
          instant('at', event.at),
          str('who', event.subject),
          code('role', event.role),
          ref('organization', event.organizationId === null ? null : `Organization/${event.organizationId}`),
          str('reason', event.reason),
        ]),
      ),
  ];
}

interface InboxQuery {
  organizationId?: string;
  patientIds?: string[];
  states?: LedgerState[];
  delayed?: boolean;
  /** Only what this backlog release delivered, in its delivery order (per patient, oldest first). */
  releaseId?: string;
  count: number;
  cursor?: number;
}

/** Reads $inbox's URL parameters; an unknown parameter or value is a 400, never ignored. */
export function inboxQuery(access: AccessContext, query: Array<[string, string]>): InboxQuery {
  const result: InboxQuery = { count: 50 };
  for (const [name, value] of query) {
    switch (name) {
      case 'state':
        result.states = value.split(',').map((state) => checkedState(state));
        break;
      case 'delayed':
        if (value !== 'true' && value !== 'false') throw badParameter(name, 'true or false');
        result.delayed = value === 'true';
        break;
      case '_count':
        if (!/^\d{1,4}$/.test(value) || Number(value) < 1) throw badParameter(name, 'a whole number from 1');
        result.count = Math.min(Number(value), 500);
        break;
      case 'cursor':
        if (!/^\d{1,18}$/.test(value)) throw badParameter(name, 'the cursor of a previous page');
        result.cursor = Number(value);
        break;
      case 'release':
        result.releaseId = checkedReleaseId(value);
        break;
      case 'organization':
        if (!isOperations(access)) throw fhirError('forbidden', 'Only operations may read another inbox.');
        result.organizationId = value.replace(/^Organization\//, '');
        break;
      default:
        throw fhirError('invalid-search-parameter', `$inbox takes no parameter '${name}'.`, [name]);
    }
  }
  const patients = ownPatientIds(access);
  if (patients.length > 0) return { ...result, patientIds: patients };
  result.organizationId ??= access.principal.organizationId;
  if (result.organizationId === undefined)
    throw fhirError('forbidden', 'You have no organisation, so no inbox.');
  return result;
}

function checkedState(state: string): LedgerState {
  if (!(LEDGER_STATES as readonly string[]).includes(state)) {
    throw badParameter('state', LEDGER_STATES.join(', '));
  }
  return state as LedgerState;
}

function badParameter(name: string, expected: string) {
  return fhirError('invalid-search-parameter', `$inbox parameter '${name}' must be ${expected}.`, [name]);
}

type InboxRow = DeliveryRow & {
  title: string;
  kind: string;
  patientId: string | null;
  documentReferenceId: string;
  hasMedicationChanges: boolean;
  hasActions: boolean;
  eventAt: Date;
  position: number;
};

/**
 * A recipient's inbox, newest first, keyset-paged on the row id; a release's letters in the order it
 * delivered them (each patient's together, oldest first), keyset-paged on that position.
 */
export async function inbox(
  tx: SqlExecutor,
  query: InboxQuery,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const params: unknown[] = [];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['(d.delivered_at is not null or d.rejected_at is not null)'];
  if (query.patientIds) where.push(`d.recipient_patient_id = any(${add(query.patientIds)}::text[])`);
  else where.push(`d.recipient_org_id = ${add(query.organizationId)} and d.recipient_kind <> 'patient'`);
  if (query.states) where.push(`d.state = any(${add(query.states)}::text[])`);
  if (query.delayed !== undefined) where.push(query.delayed ? 'd.delayed_days > 0' : 'd.delayed_days = 0');
  const inRelease = query.releaseId !== undefined;
  if (inRelease) where.push(`d.release_id = ${add(query.releaseId)}::uuid`);
  const position = inRelease ? 'i.seq' : 'd.id';
  const from = `delivery_row d join exchange_document e on e.id = d.document_row
       ${inRelease ? 'join backlog_release_item i on i.row_id = d.id' : ''}`;
  // The count needs no document columns: every ledger row has its document.
  const counted = `delivery_row d ${inRelease ? 'join backlog_release_item i on i.row_id = d.id' : ''}`;
  // Letters matching the filters on every page, not only this one, counted no further than the cap.
  const total = await cappedCount(tx, `${counted} where ${where.join(' and ')}`, [...params]);
  if (query.cursor !== undefined) where.push(`${position} ${inRelease ? '>' : '<'} ${add(query.cursor)}`);
  const { rows } = await tx.query<InboxRow>(
    `select ${deliveryColumns('d')}, e.title, e.kind, e.patient_id as "patientId",
       e.document_reference_id as "documentReferenceId", e.has_medication_changes as "hasMedicationChanges",
       e.has_actions as "hasActions", e.event_at as "eventAt", ${position} as position
     from ${from}
     where ${where.join(' and ')} order by ${position} ${inRelease ? 'asc' : 'desc'} limit ${add(query.count + 1)}`,
    params,
  );
  const page = rows.slice(0, query.count).map((row) => ({ ...row, ...normaliseDelivery(row) }));
  const next = rows.length > query.count ? page[page.length - 1]?.position : undefined;
  const body = parameters([
    int('count', page.length),
    int('total', total.total),
    bool('totalCapped', total.capped),
    str('next', next === undefined ? undefined : String(next)),
    ...page.map((row) =>
      group('entry', [
        str('document', row.documentId),
        str('title', row.title),
        code('kind', row.kind),
        ref('patient', row.patientId === null ? null : `Patient/${row.patientId}`),
        ref('documentReference', `DocumentReference/${row.documentReferenceId}`),
        code('state', row.state),
        instant('delivered', row.deliveredAt),
        instant('eventAt', new Date(row.eventAt)),
        bool('delayed', row.delayedDays > 0),
        int('delayedDays', row.delayedDays),
        str('lateness', latenessOf(row)),
        str('release', row.releaseId),
        bool('hasMedicationChanges', row.hasMedicationChanges),
        bool('hasActions', row.hasActions),
        code('rejectionReason', row.rejectionReason),
      ]),
    ),
  ]);
  return {
    body,
    patientIds: [...new Set(page.flatMap((row) => (row.patientId === null ? [] : [row.patientId])))],
  };
}

type AlarmRow = DeliveryRow & {
  kind: LedgerRowSnapshot['kind'];
  eventAt: Date;
  senderOrgId: string | null;
  patientId: string | null;
};

/** At most this many open rows are evaluated per request; the rest wait for the next look. */
const ALARM_ROW_LIMIT = 5000;

/**
 * `$exchange-alarms`: the alarms due now on the caller's organisation's rows: every alarm on the
 * documents it sent, and the recipient's alarms (not filed) on what it received. Operations see all.
 */
export async function exchangeAlarms(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const orgId = access.principal.organizationId;
  const all = isOperations(access) || access.principal.patientAccess === 'all';
  if (!all && (orgId === undefined || access.principal.kind === 'patient')) {
    throw fhirError('forbidden', 'Alarms are for staff of an organisation and for operations.');
  }
  const { rows } = await tx.query<AlarmRow>(
    `select ${deliveryColumns('d')}, e.kind, e.event_at as "eventAt", e.sender_org_id as "senderOrgId",
       e.patient_id as "patientId"
     from delivery_row d join exchange_document e on e.id = d.document_row
     where d.state <> all($3::text[])
       and ($1::boolean or e.sender_org_id = $2 or (d.recipient_org_id = $2 and d.delivered_at is not null))
     order by d.id limit ${ALARM_ROW_LIMIT}`,
    [all, orgId ?? null, SETTLED_STATES],
  );
  const now = ctx.clock.now();
  const alarms: Array<{ alarm: Alarm; row?: AlarmRow }> = [];
  for (const raw of rows) {
    const row = { ...raw, ...normaliseDelivery(raw), eventAt: new Date(raw.eventAt) };
    const asSender = all || row.senderOrgId === orgId;
    for (const alarm of evaluateAlarms({ documents: [snapshotOf(row)] }, now, ctx.options.alarms)) {
      if (asSender || alarm.party === 'recipient') alarms.push({ alarm, row });
    }
  }
  const held = await heldSnapshots(tx, all ? undefined : orgId, ALARM_ROW_LIMIT);
  const endpoints = all ? await endpointSnapshots(tx) : [];
  for (const alarm of evaluateAlarms({ held, endpoints }, now, ctx.options.alarms)) alarms.push({ alarm });
  const body = parameters([
    int('count', alarms.length),
    ...alarms.map(({ alarm, row }) => group('alarm', alarmParts(alarm, row))),
  ]);
  return {
    body,
    patientIds: [
      ...new Set(alarms.flatMap(({ row }) => (row?.patientId === null || !row ? [] : [row.patientId]))),
    ],
  };
}

/** Ledger states that no longer age: filed, and the terminal ones. */
const SETTLED_STATES: readonly LedgerState[] = ['filed', ...TERMINAL_LEDGER_STATES];

function alarmParts(alarm: Alarm, row: AlarmRow | undefined): Part[] {
  return [
    code('code', alarm.code),
    code('severity', alarm.severity),
    code('party', alarm.party),
    instant('due', alarm.dueAt),
    str('message', alarm.message),
    str('document', row?.documentId ?? alarm.documentId),
    str('row', row?.id),
    code('state', row?.state),
    ref('recipient', row?.recipientOrgId == null ? null : `Organization/${row.recipientOrgId}`),
    str('endpoint', alarm.endpoint),
  ];
}

/** Transport endpoints with messages waiting for an acknowledgement (transport/health.ts). */
export async function endpointSnapshots(tx: SqlExecutor): Promise<EndpointSnapshot[]> {
  return (await endpointAcknowledgements(tx)).map((endpoint) => ({
    endpoint: `${endpoint.kind} endpoint ${endpoint.endpointId} (${endpoint.recipientOds})`,
    pendingMessages: endpoint.pendingMessages,
    oldestPendingSince: endpoint.oldestPendingSince,
    ...(endpoint.lastAcknowledgementAt === null
      ? {}
      : { lastAcknowledgementAt: endpoint.lastAcknowledgementAt }),
  }));
}

function snapshotOf(row: AlarmRow): LedgerRowSnapshot {
  return {
    documentId: row.documentId,
    recipient: row.recipientOds ?? (row.recipientPatientId === null ? 'recipient' : 'the patient'),
    kind: row.kind,
    state: row.state,
    createdAt: row.createdAt,
    ...(row.authorisedAt === null ? {} : { authorisedAt: row.authorisedAt }),
    ...(row.deliveredAt === null ? {} : { deliveredAt: row.deliveredAt }),
    ...(row.rejectedAt === null ? {} : { rejectedAt: row.rejectedAt }),
    eventAt: row.eventAt,
  };
}
