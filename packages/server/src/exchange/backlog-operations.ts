import type { Parameters, ParametersParameter } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { FhirRequest } from '../fhir/request.js';
import type { SqlExecutor } from '../store/database.js';
import { organisationNames } from '../store/directory.js';
import {
  awaitingRelease,
  checkedReleaseId,
  latestReleaseId,
  releaseBacklog,
  releaseProgress,
  releaseRow,
  type BacklogDeps,
  type BacklogSelection,
  type PracticeSummary,
  type ReleaseOptions,
  type ReleaseProgress,
} from './backlog-release.js';
import { actorOf, isOperationsOrAdmin, requireOperations, type ExchangeContext } from './context.js';
import type { BackgroundReleases } from './release-runner.js';
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
  runners: BackgroundReleases,
): Promise<{ body: Parameters; patientIds: string[]; accepted: boolean }> {
  const access = request.context.access;
  requireOperations(access, 'release a backlog');
  if (!ctx.database) throw fhirError('operation-not-supported', '$release-backlog is not enabled.');
  const reader = parametersOf(request.body);
  const releaseId = reader.string('release');
  const options = releaseOptions(reader);
  const background = reader.boolean('background') === true;
  if (background && options.dryRun === true) {
    throw fhirError('invalid-value', 'A dry run is answered at once; it cannot run in the background.', [
      "Parameters.parameter('background')",
    ]);
  }
  if (background && options.maxBatches !== undefined) {
    // A background release runs until it has finished; a limit it ignored would look obeyed.
    throw fhirError(
      'invalid-value',
      'A release in the background runs every batch; maxBatches cannot apply.',
      ["Parameters.parameter('maxBatches')"],
    );
  }
  const target =
    releaseId === undefined ? { selection: selectionOf(reader) } : { releaseId: checkedReleaseId(releaseId) };
  if (releaseId !== undefined && options.dryRun === true) {
    throw fhirError('invalid-value', 'A dry run plans a new selection; it cannot resume a release.', [
      "Parameters.parameter('dryRun')",
    ]);
  }
  const { principal } = access;
  const deps: BacklogDeps = {
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
  };
  if (background) {
    // Planned (or found running) now, in the request; its batches run after the answer, and
    // `$backlog-release-status` shows them committing.
    const planned = await releaseBacklog(deps, target, { ...options, maxBatches: 0 });
    if (planned.releaseId !== null && planned.status === 'running') {
      runners.start(
        deps,
        planned.releaseId,
        options.batchSize === undefined ? {} : { batchSize: options.batchSize },
      );
    }
    const progress =
      planned.releaseId === null ? planned : await releaseProgress(ctx.database, planned.releaseId);
    return {
      body: await progressParameters(ctx.database, progress, runners),
      patientIds: [],
      accepted: true,
    };
  }
  const progress = await releaseBacklog(deps, target, options);
  // Each batch wrote its own audit entry naming its patients, in its own transaction (a release of
  // 30,000 letters spans many commits); the call's entry records the call without repeating them.
  return { body: await progressParameters(ctx.database, progress, runners), patientIds: [], accepted: false };
}

/** A release's progress is stalled when it is unfinished and no batch has committed for this long. */
export const STALLED_AFTER_MS = 60_000;

/**
 * `$backlog-release-status`: the progress of one release (`release`), or of the one operations
 * should see first (running, else the latest), with the held letters no release has taken yet.
 */
export async function backlogReleaseStatus(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  query: Array<[string, string]>,
  runners: BackgroundReleases,
): Promise<{ body: Parameters; patientIds: string[] }> {
  requireOperations(access, 'follow a backlog release');
  let releaseId: string | undefined;
  for (const [name, value] of query) {
    if (name !== 'release')
      throw fhirError('invalid-search-parameter', `$backlog-release-status takes no parameter '${name}'.`, [
        name,
      ]);
    releaseId = checkedReleaseId(value);
  }
  return { body: parameters(await releaseStatusParts(ctx, tx, runners, releaseId)), patientIds: [] };
}

/** The status of a release (or the one to see first) and the held letters still waiting for one. */
export async function releaseStatusParts(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  runners: BackgroundReleases,
  releaseId?: string,
): Promise<Part[]> {
  const id = releaseId ?? (await latestReleaseId(tx));
  const progress = id === undefined ? undefined : await releaseProgress(tx, id);
  const waiting = int('awaitingRelease', await awaitingRelease(tx));
  if (progress === undefined) return [waiting];
  const names = await practiceNames(tx, progress.practices);
  return [...progressParts(progress, runners, names, ctx.clock.now()), waiting];
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

async function progressParameters(
  db: SqlExecutor,
  progress: ReleaseProgress,
  runners: BackgroundReleases,
): Promise<Parameters> {
  return parameters(progressParts(progress, runners, await practiceNames(db, progress.practices)));
}

/** The practices' organisation names, by organisation id, read in one query. */
function practiceNames(db: SqlExecutor, practices: readonly PracticeSummary[]): Promise<Map<string, string>> {
  return organisationNames(
    db,
    practices.flatMap((practice) => (practice.organizationId === null ? [] : [practice.organizationId])),
  );
}

/** Unfinished, not being run here, and either failed or silent for longer than a batch ever takes. */
export function isStalled(progress: ReleaseProgress, running: boolean, now: Date): boolean {
  if (progress.status !== 'running' || running) return false;
  const last = progress.lastBatchAt ?? progress.startedAt ?? now;
  return progress.lastError !== undefined || now.getTime() - last.getTime() > STALLED_AFTER_MS;
}

export function progressParts(
  progress: ReleaseProgress,
  runners: BackgroundReleases,
  names: ReadonlyMap<string, string>,
  now?: Date,
): Part[] {
  const running = progress.releaseId !== null && runners.isRunning(progress.releaseId);
  return [
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
    instant('started', progress.startedAt),
    instant('lastBatch', progress.lastBatchAt),
    instant('completed', progress.completedAt),
    bool('running', running),
    ...(now === undefined ? [] : [bool('stalled', isStalled(progress, running, now))]),
    str('lastError', progress.lastError),
    instant('lastErrorAt', progress.lastErrorAt),
    ...progress.practices.map((practice) => group('practice', practiceParts(practice, names))),
  ];
}

function practiceParts(practice: PracticeSummary, names: ReadonlyMap<string, string>): Part[] {
  return [
    str('ods', practice.practiceOds),
    ref('organization', practice.organizationId === null ? null : `Organization/${practice.organizationId}`),
    str('name', names.get(practice.organizationId ?? '')),
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
  const names = await practiceNames(tx, practices);
  const body = parameters([
    str('release', release.id),
    code('status', release.status),
    ...practices.map((practice) => group('practice', practiceParts(practice, names))),
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
