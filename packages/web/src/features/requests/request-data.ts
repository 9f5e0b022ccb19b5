import type { Encounter, Organization, Patient } from 'fhir/r4';
import type { User } from '../../auth/claims';
import type { FieldError } from '../../components/ErrorSummary';
import { dateParts, isoDate, type DateParts, type Option } from '../../components/fields';
import type { Load } from '../../components/load';
import {
  FHIR_ID_PATTERN,
  REQUEST_CATEGORY_CODES,
  REQUEST_STATUSES,
  londonDaysBetween,
  type RequestCategory,
  type RequestStatus,
} from '../../domain';
import { FhirError, fhir, resourcesOf } from '../../fhir/client';
import { loadInpatients } from '../../fhir/inpatients';
import { referenceId } from '../../fhir/format';
import { readByIds } from '../../fhir/lookup';
import {
  requests,
  type LedgerQuery,
  type OneRequest,
  type RequestAlarmEntry,
  type RequestSummary,
  type WorkloadLedger,
} from '../../fhir/requests';
import { r } from '../../strings/requests.en-GB';

/** Loading and shaping what the request screens show; the screens only lay it out. */

export const REQUEST_PAGE_SIZE = 20;

export interface ListFilters {
  statuses: RequestStatus[];
  cursor?: string;
}

export function filtersFrom(search: URLSearchParams): ListFilters {
  const statuses = (search.get('status') ?? '')
    .split(',')
    .filter((status): status is RequestStatus => (REQUEST_STATUSES as readonly string[]).includes(status));
  const cursor = search.get('cursor');
  return { statuses, ...(cursor === null || !/^\d+$/.test(cursor) ? {} : { cursor }) };
}

export function searchFrom(filters: ListFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.statuses.length > 0) search.set('status', filters.statuses.join(','));
  if (filters.cursor !== undefined) search.set('cursor', filters.cursor);
  return search;
}

/** Loaded alarms, or why they could not be loaded: a failure must never read as "no alarms". */
export type AlarmsLoad = Exclude<Load<RequestAlarmEntry[]>, { status: 'loading' }>;

export interface ListView {
  entries: RequestSummary[];
  next?: string;
  patients: Map<string, Patient>;
  /**
   * For the owner's worklist: alarms on which the owner must act, across every request (not just
   * this page). The tracker counts declines back with the requester instead (`declinedBack`).
   */
  alarms?: AlarmsLoad;
  /**
   * For the requester: declined requests it has not yet taken back, across every page, as the server
   * counts them. A decline is the requester's news at once, long before it is old enough to raise an
   * alarm.
   */
  declinedBack: number;
  /** True when there were more than the server counts (10,000): `declinedBack` is then the cap. */
  declinedBackCapped: boolean;
}

/** The patients of the requests, keyed by reference (`Patient/id`). */
function patientsOf(entries: readonly RequestSummary[]): Promise<Map<string, Patient>> {
  return readByIds<Patient>(
    'Patient',
    entries.flatMap((entry) => referenceId(entry.patient) ?? []),
  );
}

/** The owner's alarms across every request; a failure is kept to be shown, not swallowed. */
export async function ownerAlarms(read = requests.alarms): Promise<AlarmsLoad> {
  try {
    const alarms = await read();
    return { status: 'ready', data: alarms.filter((alarm) => alarm.mustAct && alarm.party === 'owner') };
  } catch (error) {
    return { status: 'error', error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * One page of the owner's worklist or the requester's tracker, server-side paged by keyset, with the
 * page's patients fetched in one search and the alarms the caller must act on.
 */
export async function loadList(side: 'owner' | 'requester', filters: ListFilters): Promise<ListView> {
  const query = {
    statuses: filters.statuses,
    count: REQUEST_PAGE_SIZE,
    ...(filters.cursor === undefined ? {} : { cursor: filters.cursor }),
  };
  const [page, alarms, declined] = await Promise.all([
    side === 'owner' ? requests.worklist(query) : requests.tracker(query),
    side === 'owner' ? ownerAlarms() : Promise.resolve(undefined),
    side === 'requester'
      ? requests.tracker({ acknowledged: false, total: true, count: 1 })
      : Promise.resolve(undefined),
  ]);
  return {
    entries: page.entries,
    ...(page.next === undefined ? {} : { next: page.next }),
    patients: await patientsOf(page.entries),
    ...(alarms === undefined ? {} : { alarms }),
    declinedBack: declined?.total ?? 0,
    declinedBackCapped: declined?.totalCapped ?? false,
  };
}

/** London calendar days since a request was made (0 on the day itself, 1 from the next midnight). */
export function ageInDays(created: string, now: Date): number {
  const made = new Date(created);
  if (Number.isNaN(made.getTime())) return 0;
  return londonDaysBetween(made, now);
}

/** When a request last changed: its latest event, or when it was made. */
export function lastChanged(request: RequestSummary): string {
  return request.events.reduce((latest, event) => (event.at > latest ? event.at : latest), request.created);
}

/** The user's side of a request, as the server decided it: operations only watch. */
export type Side = 'owner' | 'requester' | 'observer';

export interface RequestView {
  request: RequestSummary;
  patient?: Patient;
  side: Side;
}

/** Whether opening the request should record that its owner has received it: first sight by the owner. */
export function receivesOnOpening(one: OneRequest): boolean {
  return one.side === 'owner' && one.request.allowedActions.includes('receive');
}

/** The request, or undefined when the server says it is unknown or not the user's to see (404 alike). */
async function readRequest(taskId: string): Promise<OneRequest | undefined> {
  try {
    return await requests.request(taskId);
  } catch (error) {
    if (error instanceof FhirError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * One request with its whole history, in one call (`$request`). When one of the owner's staff opens
 * a request still `requested`, the page records that it was received (the server records it once
 * however many open it at once), so the requester can see it has been seen.
 */
export async function loadRequest(taskId: string): Promise<RequestView | undefined> {
  let one = await readRequest(taskId);
  if (one === undefined) return undefined;
  if (receivesOnOpening(one)) {
    try {
      await requests.act(taskId, 'receive');
      one = (await readRequest(taskId)) ?? one;
    } catch (error) {
      // A role that may not answer requests (403), or a request answered meanwhile (409): the page
      // still shows the request as it stands.
      if (!(error instanceof FhirError)) throw error;
    }
  }
  const { request } = one;
  const patients = await patientsOf([request]);
  const found = request.patient === undefined ? undefined : patients.get(request.patient);
  return { request, side: one.side ?? 'observer', ...(found ? { patient: found } : {}) };
}

/** Who received the request and when: the receipt in its history, if the owner recorded one. */
export function receipt(request: RequestSummary): { who: string; at: string } | undefined {
  const event = request.events.find((candidate) => candidate.event === 'receive');
  return event === undefined ? undefined : { who: event.who, at: event.at };
}

export const MAX_REASON = 1000;

/** A decline: citing the flagged rule (a note is optional), or with a reason of the owner's own. */
export function validateDecline(choice: 'cite' | 'reason', text: string): FieldError[] {
  if (text.length > MAX_REASON) {
    return [
      {
        field: choice === 'cite' ? 'decline-note' : 'decline-reason',
        message: r.respond.tooLong(MAX_REASON),
      },
    ];
  }
  if (choice === 'reason' && text.trim() === '')
    return [{ field: 'decline-reason', message: r.respond.reasonError }];
  return [];
}

export function validateCancel(reason: string): FieldError[] {
  if (reason.trim() === '') return [{ field: 'cancel-reason', message: r.requester.cancelError }];
  if (reason.length > MAX_REASON) return [{ field: 'cancel-reason', message: r.respond.tooLong(MAX_REASON) }];
  return [];
}

export interface NewRequestForm {
  patient: string;
  owner: string;
  category: string;
  circumstances: string[];
  careContext: string;
  specialty: string;
  priority: 'routine' | 'urgent';
  reason: string;
  due: DateParts;
}

/** Errors in a new request, in the order of the fields (so the summary reads top to bottom). */
export function validateNewRequest(form: NewRequestForm, today: string): FieldError[] {
  const errors: FieldError[] = [];
  if (form.patient === '') errors.push({ field: 'patient', message: r.create.patientError });
  if (form.owner === '') errors.push({ field: 'owner', message: r.create.ownerError });
  if (!(REQUEST_CATEGORY_CODES as readonly string[]).includes(form.category))
    errors.push({ field: 'category', message: r.create.categoryError });
  if (form.reason.trim() === '') errors.push({ field: 'reason', message: r.create.reasonError });
  else if (form.reason.length > MAX_REASON)
    errors.push({ field: 'reason', message: r.create.reasonTooLong(MAX_REASON) });
  const anyDue = form.due.day.trim() !== '' || form.due.month.trim() !== '' || form.due.year.trim() !== '';
  if (anyDue) {
    const due = isoDate(form.due);
    if (due === undefined || due < today) errors.push({ field: 'due', message: r.create.dueError });
  }
  return errors;
}

export function isCategory(value: string): value is RequestCategory {
  return (REQUEST_CATEGORY_CODES as readonly string[]).includes(value);
}

export interface PatientChoice {
  patient: Patient;
  /** The patient's registered practice, as referenced on the Patient. */
  practice?: string;
}

/**
 * The patients the user's organisation cares for: a hospital's current inpatients (as the letter
 * composer offers them), or the patients registered at a practice.
 */
export async function loadPatientChoices(user: User): Promise<PatientChoice[]> {
  if (user.organizationId === undefined) return [];
  const organisation = `Organization/${user.organizationId}`;
  const [admitted, registered] = await Promise.all([
    loadInpatients(user.organizationId),
    fhir.search<Patient>('Patient', { 'general-practitioner': organisation, _count: 100 }),
  ]);
  const patients = new Map<string, Patient>();
  for (const patient of [
    ...admitted.map((inpatient) => inpatient.patient),
    ...resourcesOf<Patient>(registered, 'Patient'),
  ]) {
    patients.set(patient.id ?? '', patient);
  }
  return [...patients.values()].map((patient) => {
    const practice = patient.generalPractitioner?.find((gp) => gp.reference?.startsWith('Organization/'));
    return { patient, ...(practice?.reference ? { practice: practice.reference } : {}) };
  });
}

export interface OwnerChoice {
  reference: string;
  label: string;
}

/**
 * Who a request about this patient can go to: their registered practice and the organisations
 * treating them now, never the user's own organisation (the server refuses any other).
 */
export async function loadOwnerChoices(choice: PatientChoice, user: User): Promise<OwnerChoice[]> {
  const own = `Organization/${user.organizationId ?? ''}`;
  const encounters = await fhir.search<Encounter>('Encounter', {
    subject: `Patient/${choice.patient.id ?? ''}`,
    status: 'in-progress',
    _count: 20,
  });
  const treating = resourcesOf<Encounter>(encounters, 'Encounter').flatMap(
    (encounter) => encounter.serviceProvider?.reference ?? [],
  );
  const wanted = [
    ...new Set([choice.practice, ...treating].filter((ref): ref is string => ref !== undefined)),
  ].filter((reference) => reference !== own);
  const organisations = await readByIds<Organization>(
    'Organization',
    wanted.flatMap((reference) => referenceId(reference) ?? []),
  );
  return wanted.map((reference) => {
    const name = organisations.get(reference)?.name ?? reference;
    return {
      reference,
      label: reference === choice.practice ? r.create.registeredPractice(name) : r.create.treating(name),
    };
  });
}

/** The ledger's filters as the form holds them. */
export interface LedgerForm {
  period: 'week' | 'month';
  from: DateParts;
  to: DateParts;
  /** `Organization/id`, or '' for every sending organisation. */
  requester: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `Organization/id`, with an id as FHIR allows it. */
const isOrganisationReference = (value: string): boolean =>
  value.startsWith('Organization/') && FHIR_ID_PATTERN.test(value.slice('Organization/'.length));

/** The ledger query in the address; anything that is not a period, a date or an organisation is left out. */
export function ledgerQueryFrom(search: URLSearchParams): LedgerQuery {
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const requester = search.get('requester') ?? '';
  return {
    period: search.get('period') === 'week' ? 'week' : 'month',
    ...(ISO_DATE.test(from) ? { from } : {}),
    ...(ISO_DATE.test(to) ? { to } : {}),
    ...(isOrganisationReference(requester) ? { requester } : {}),
  };
}

export function ledgerSearch(query: LedgerQuery): URLSearchParams {
  const search = new URLSearchParams({ period: query.period });
  for (const key of ['from', 'to', 'requester'] as const) {
    const value = query[key];
    if (value !== undefined) search.set(key, value);
  }
  return search;
}

export function ledgerForm(query: LedgerQuery): LedgerForm {
  return {
    period: query.period,
    from: dateParts(query.from),
    to: dateParts(query.to),
    requester: query.requester ?? '',
  };
}

const blank = (parts: DateParts): boolean =>
  parts.day.trim() === '' && parts.month.trim() === '' && parts.year.trim() === '';

/**
 * The ledger query the form asks for, or the errors in it, in the order of the fields. Dates may be
 * left blank (the server then shows 12 periods up to today); a date given must be real, and the
 * range must run forwards.
 */
export function validateLedgerForm(form: LedgerForm): { errors: FieldError[]; query?: LedgerQuery } {
  const errors: FieldError[] = [];
  const from = blank(form.from) ? undefined : isoDate(form.from);
  const to = blank(form.to) ? undefined : isoDate(form.to);
  if (!blank(form.from) && from === undefined)
    errors.push({ field: 'ledger-from', message: r.ledger.fromError });
  if (!blank(form.to) && to === undefined) errors.push({ field: 'ledger-to', message: r.ledger.toError });
  if (from !== undefined && to !== undefined && from > to)
    errors.push({ field: 'ledger-to', message: r.ledger.orderError });
  if (errors.length > 0) return { errors };
  return {
    errors,
    query: {
      period: form.period,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(isOrganisationReference(form.requester) ? { requester: form.requester } : {}),
    },
  };
}

export interface LedgerView {
  ledger: WorkloadLedger;
  /** The organisations that sent requests in the range, to filter by (whichever is chosen now). */
  senders: Option[];
}

function sendersOf(ledger: WorkloadLedger): Option[] {
  const names = new Map(ledger.groups.map((group) => [group.requester, group.requesterName]));
  return [...names]
    .map(([value, label]) => ({ value, label }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * The ledger for the query. With a sending organisation chosen, the same range without it is read
 * too, so the other organisations stay on offer.
 */
export async function loadLedger(query: LedgerQuery): Promise<LedgerView> {
  const { requester, ...everyone } = query;
  const [ledger, unfiltered] = await Promise.all([
    requests.ledger(query),
    requester === undefined ? Promise.resolve(undefined) : requests.ledger(everyone),
  ]);
  return { ledger, senders: sendersOf(unfiltered ?? ledger) };
}

/** A chart's categories and series from the ledger: accepted, declined and pending per key. */
export interface ChartData {
  categories: Array<{ key: string; label: string; tick: string }>;
  series: Array<{ key: string; label: string; values: number[] }>;
}

const shortLabel = (label: string): string => (label.length > 12 ? `${label.slice(0, 11)}…` : label);

function outcomeChart(
  rows: ReadonlyArray<{
    key: string;
    label: string;
    tick?: string;
    accepted: number;
    declined: number;
    pending: number;
  }>,
  withPending: boolean,
): ChartData {
  const keys = withPending
    ? (['accepted', 'declined', 'pending'] as const)
    : (['accepted', 'declined'] as const);
  return {
    categories: rows.map((row) => ({
      key: row.key,
      label: row.label,
      tick: row.tick ?? shortLabel(row.label),
    })),
    series: keys.map((key) => ({ key, label: r.ledger.series[key], values: rows.map((row) => row[key]) })),
  };
}

/** Sums the ledger's groups by one of their fields (sending organisation, or category). */
function sumBy(
  ledger: WorkloadLedger,
  key: (group: WorkloadLedger['groups'][number]) => string,
  label: (group: WorkloadLedger['groups'][number]) => string,
) {
  const totals = new Map<
    string,
    { key: string; label: string; accepted: number; declined: number; pending: number }
  >();
  for (const group of ledger.groups) {
    const id = key(group);
    const current = totals.get(id) ?? { key: id, label: label(group), accepted: 0, declined: 0, pending: 0 };
    current.accepted += group.accepted;
    current.declined += group.declined;
    current.pending += group.pending;
    totals.set(id, current);
  }
  return [...totals.values()].sort(
    (a, b) => b.accepted + b.declined - (a.accepted + a.declined) || a.label.localeCompare(b.label),
  );
}

export function trendChart(ledger: WorkloadLedger, formatPeriod: (period: string) => string): ChartData {
  return outcomeChart(
    ledger.trend.map((point) => ({
      key: point.period,
      label: formatPeriod(point.period),
      tick: point.period.length === 7 ? point.period : point.period.slice(5),
      accepted: point.accepted,
      declined: point.declined,
      pending: point.pending,
    })),
    true,
  );
}

export function senderChart(ledger: WorkloadLedger): ChartData {
  return outcomeChart(
    sumBy(
      ledger,
      (group) => group.requester,
      (group) => group.requesterName,
    ),
    false,
  );
}

export function categoryChart(ledger: WorkloadLedger): ChartData {
  return outcomeChart(
    sumBy(
      ledger,
      (group) => group.category,
      (group) => (isCategory(group.category) ? r.categories[group.category] : group.categoryDisplay),
    ),
    false,
  );
}

/** Saves text as a file the browser downloads (the CSV export, fetched with the bearer token). */
export function saveFile(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled, or some browsers cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
