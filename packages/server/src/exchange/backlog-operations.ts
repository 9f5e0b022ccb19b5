import type { Parameters, ParametersParameter } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { FhirRequest } from '../fhir/request.js';
import type { SqlExecutor } from '../store/database.js';
import {
  checkedReleaseId,
  releaseBacklog,
  releaseRow,
  type BacklogSelection,
  type PracticeSummary,
  type ReleaseOptions,
  type ReleaseProgress,
} from './backlog-release.js';
import { actorOf, isOperationsOrAdmin, requireOperations, type ExchangeContext } from './context.js';
import {
  bool,
  code,
  group,
  instant,
  int,
  parameters,
  parametersOf,
  ref,
  str,
  type ParameterReader,
  type Part,
} from './parameters.js';

/**
 * `$release-backlog` and `$backlog-triage`: the FHIR face of backlog-release.ts. The release is the
 * one exchange operation that does not run in the request's transaction: it commits batch by batch.
 */

export async function releaseBacklogOperation(
  ctx: ExchangeContext,
  request: FhirRequest,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const access = request.context.access;
  requireOperations(access, 'release a backlog');
  if (!ctx.database) throw fhirError('operation-not-supported', '$release-backlog is not enabled.');
  const reader = parametersOf(request.body);
  const releaseId = reader.string('release');
  const options = releaseOptions(reader);
  const target =
    releaseId === undefined ? { selection: selectionOf(reader) } : { releaseId: checkedReleaseId(releaseId) };
  if (releaseId !== undefined && options.dryRun === true) {
    throw fhirError('invalid-value', 'A dry run plans a new selection; it cannot resume a release.', [
      "Parameters.parameter('dryRun')",
    ]);
  }
  const { principal } = access;
  const progress = await releaseBacklog(
    {
      ctx,
      db: ctx.database,
      releaser: {
        actor: actorOf(access),
        principal: {
          subject: principal.subject,
          displayName: principal.displayName,
          role: principal.role,
          clientId: principal.clientId,
          ...(principal.organizationId === undefined ? {} : { organizationId: principal.organizationId }),
          ...(principal.odsCode === undefined ? {} : { odsCode: principal.odsCode }),
        },
        requestId: request.context.requestId,
        source: request.context.source,
      },
    },
    target,
    options,
  );
  // Each batch wrote its own audit entry naming its patients, in its own transaction (a release of
  // 30,000 letters spans many commits); the call's entry records the call without repeating them.
  return { body: progressParameters(progress), patientIds: [] };
}

/** Which held documents: a sender, a window of discharge/attendance times, explicit documents. */
export function selectionOf(reader: ParameterReader): BacklogSelection {
  const sender = reader.string('sender') ?? reader.all('sender')[0]?.valueIdentifier?.value;
  const since = instantParameter(reader, 'since');
  const until = instantParameter(reader, 'until');
  const documentIds = reader
    .all('document')
    .map((parameter) => parameter.valueString ?? parameter.valueIdentifier?.value)
    .filter((value): value is string => typeof value === 'string' && value !== '');
  return {
    ...(sender === undefined ? {} : { senderOds: sender }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(documentIds.length === 0 ? {} : { documentIds }),
  };
}

function instantParameter(reader: ParameterReader, name: string): Date | undefined {
  const parameter: ParametersParameter | undefined = reader.all(name)[0];
  const text =
    parameter?.valueInstant ?? parameter?.valueDateTime ?? parameter?.valueDate ?? parameter?.valueString;
  if (text === undefined) return undefined;
  const value = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(value.getTime())) {
    throw fhirError('invalid-value', `The parameter '${name}' must be a date or an instant.`, [
      `Parameters.parameter('${name}')`,
    ]);
  }
  return value;
}

function releaseOptions(reader: ParameterReader): ReleaseOptions {
  const batchSize = positiveInteger(reader, 'batchSize', 5_000);
  const maxBatches = positiveInteger(reader, 'maxBatches', 1_000_000);
  return {
    dryRun: reader.boolean('dryRun') === true,
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(maxBatches === undefined ? {} : { maxBatches }),
  };
}

function positiveInteger(reader: ParameterReader, name: string, max: number): number | undefined {
  const parameter = reader.all(name)[0];
  if (parameter === undefined) return undefined;
  const value = parameter.valuePositiveInt ?? parameter.valueInteger;
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > max) {
    throw fhirError('invalid-value', `The parameter '${name}' must be a whole number from 1 to ${max}.`, [
      `Parameters.parameter('${name}')`,
    ]);
  }
  return value;
}

function progressParameters(progress: ReleaseProgress): Parameters {
  return parameters([
    str('release', progress.releaseId),
    code('status', progress.status),
    bool('dryRun', progress.status === 'dry-run'),
    int('total', progress.total),
    int('toDeliver', progress.toDeliver),
    int('duplicates', progress.duplicates),
    int('processed', progress.processed),
    int('delivered', progress.delivered),
    int('queued', progress.queued),
    int('duplicatesRecorded', progress.duplicatesRecorded),
    int('skipped', progress.skipped),
    int('remaining', progress.total - progress.processed),
    ...progress.practices.map((practice) => group('practice', practiceParts(practice))),
  ]);
}

function practiceParts(practice: PracticeSummary): Part[] {
  return [
    str('ods', practice.practiceOds),
    ref('organization', practice.organizationId === null ? null : `Organization/${practice.organizationId}`),
    int('total', practice.total),
    int('patients', practice.patients),
    int('withMedicationChanges', practice.withMedicationChanges),
    int('withActions', practice.withActions),
    int('mostDaysLate', practice.mostDaysLate),
    int('duplicates', practice.duplicates),
  ];
}

interface TriageQuery {
  releaseId: string;
  practiceOds?: string;
  organizationId?: string;
  count: number;
}

/** Reads $backlog-triage's URL parameters; an unknown parameter is a 400, never ignored. */
export function triageQuery(access: AccessContext, query: Array<[string, string]>): TriageQuery {
  let releaseId: string | undefined;
  let practiceOds: string | undefined;
  let count = 100;
  for (const [name, value] of query) {
    if (name === 'release') releaseId = checkedReleaseId(value);
    else if (name === 'practice') {
      if (!isOperationsOrAdmin(access))
        throw fhirError('forbidden', "Only operations may read another organisation's triage.");
      practiceOds = value;
    } else if (name === '_count') {
      if (!/^\d{1,4}$/.test(value) || Number(value) < 1)
        throw fhirError('invalid-search-parameter', "'_count' must be a whole number from 1.", [name]);
      count = Math.min(Number(value), 1000);
    } else
      throw fhirError('invalid-search-parameter', `$backlog-triage takes no parameter '${name}'.`, [name]);
  }
  if (releaseId === undefined)
    throw fhirError('missing-required-element', "The parameter 'release' is required.", ['release']);
  if (isOperationsOrAdmin(access))
    return { releaseId, count, ...(practiceOds === undefined ? {} : { practiceOds }) };
  const organizationId = access.principal.organizationId;
  if (organizationId === undefined || access.principal.kind === 'patient')
    throw fhirError('forbidden', 'A backlog triage is for the staff of the receiving organisation.');
  return { releaseId, count, organizationId };
}

interface TriageItemRow {
  practiceOds: string;
  documentId: string;
  title: string;
  kind: string;
  patientId: string | null;
  nhsNumber: string;
  priority: string;
  daysLate: number;
  lateness: string;
  outcome: string | null;
  eventAt: Date;
  hasMedicationChanges: boolean;
  hasActions: boolean;
}

/**
 * `$backlog-triage`: what a release brought one practice, most urgent first (medication changes and
 * requested actions, then the most overdue), with the summary stored when it was planned.
 */
export async function backlogTriage(
  tx: SqlExecutor,
  query: TriageQuery,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const release = await releaseRow(tx, query.releaseId);
  if (!release) throw fhirError('release-not-found', `No backlog release ${query.releaseId} exists.`);
  const { rows } = await tx.query<TriageItemRow>(
    `select i.practice_ods as "practiceOds", i.document_id as "documentId", e.title, e.kind,
       i.patient_id as "patientId", i.patient_nhs_number as "nhsNumber", i.priority, i.days_late as "daysLate",
       i.lateness, i.outcome, e.event_at as "eventAt", e.has_medication_changes as "hasMedicationChanges",
       e.has_actions as "hasActions"
     from backlog_release_item i join exchange_document e on e.document_id = i.document_id
     where i.release_id = $1 and ($2::text is null or i.practice_ods = $2)
       and ($3::text is null or i.recipient_key = 'org:' || $3)
     order by i.practice_ods, i.triage_rank, i.seq
     limit $4`,
    [query.releaseId, query.practiceOds ?? null, query.organizationId ?? null, query.count],
  );
  const practices = (
    typeof release.practices === 'string'
      ? (JSON.parse(release.practices) as PracticeSummary[])
      : release.practices
  ).filter(
    (practice) =>
      (query.practiceOds === undefined || practice.practiceOds === query.practiceOds) &&
      (query.organizationId === undefined || practice.organizationId === query.organizationId),
  );
  if (query.organizationId !== undefined && practices.length === 0) {
    throw fhirError(
      'release-not-found',
      `Backlog release ${query.releaseId} brought your organisation nothing.`,
    );
  }
  const body = parameters([
    str('release', release.id),
    code('status', release.status),
    ...practices.map((practice) => group('practice', practiceParts(practice))),
    ...rows.map((row) => group('item', triageItemParts(row))),
  ]);
  return {
    body,
    patientIds: [...new Set(rows.flatMap((row) => (row.patientId === null ? [] : [row.patientId])))],
  };
}

function triageItemParts(row: TriageItemRow): Part[] {
  return [
    str('practice', row.practiceOds),
    str('document', row.documentId),
    str('title', row.title),
    code('kind', row.kind),
    ref('patient', row.patientId === null ? null : `Patient/${row.patientId}`),
    str('nhsNumber', row.nhsNumber),
    code('priority', row.priority),
    int('daysLate', row.daysLate),
    str('lateness', row.lateness),
    code('outcome', row.outcome ?? 'pending'),
    instant('eventAt', new Date(row.eventAt)),
    bool('hasMedicationChanges', row.hasMedicationChanges),
    bool('hasActions', row.hasActions),
  ];
}
