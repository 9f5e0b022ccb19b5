import type { DocumentReference, Organization, Patient } from 'fhir/r4';
import { fhir, resourcesOf } from '../../fhir/client';
import { readByIds } from '../../fhir/lookup';
import { exchange, type InboxEntry } from '../../fhir/exchange';
import { referenceId } from '../../fhir/format';

export const INBOX_PAGE_SIZE = 20;

export interface InboxFilters {
  states: string[];
  delayed: '' | 'true' | 'false';
  groupByPatient: boolean;
  /** Only the letters of this backlog release, in its delivery order (each patient's together). */
  release?: string;
  cursor?: string;
}

export interface InboxView {
  entries: InboxEntry[];
  next?: string;
  total?: number;
  totalCapped: boolean;
  patients: Map<string, Patient>;
  senders: Map<string, string>;
}

/** The practice's recipient alarms due now (delivered but not filed in time). */
export interface InboxAlarms {
  alarmed: Set<string>;
  count: number;
}

/**
 * Loaded beside the page, not before it: evaluating a large inbox's alarms takes longer than reading
 * its first page, and the page must not wait for it (issue 5: the first page in under a second).
 */
export async function loadInboxAlarms(): Promise<InboxAlarms> {
  const alarms = await exchange.alarms();
  const recipientAlarms = alarms.filter((alarm) => alarm.party === 'recipient');
  return { alarmed: new Set(recipientAlarms.map((alarm) => alarm.document)), count: recipientAlarms.length };
}

export function filtersFrom(search: URLSearchParams): InboxFilters {
  const delayed = search.get('delayed');
  const cursor = search.get('cursor');
  const release = search.get('release');
  return {
    states: (search.get('state') ?? '').split(',').filter((state) => state !== ''),
    delayed: delayed === 'true' || delayed === 'false' ? delayed : '',
    // A release is read in its delivery order, each patient's letters together: always grouped.
    groupByPatient: search.get('group') === 'patient' || release !== null,
    ...(release === null ? {} : { release }),
    ...(cursor === null ? {} : { cursor }),
  };
}

export function searchFrom(filters: InboxFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.states.length > 0) search.set('state', filters.states.join(','));
  if (filters.delayed !== '') search.set('delayed', filters.delayed);
  if (filters.groupByPatient) search.set('group', 'patient');
  if (filters.release !== undefined) search.set('release', filters.release);
  if (filters.cursor !== undefined) search.set('cursor', filters.cursor);
  return search;
}

/**
 * One page of the inbox, server-side paged (keyset: the page's size never grows with the inbox),
 * with the patients and senders of that page only, fetched in two searches rather than per row.
 */
export async function loadInbox(filters: InboxFilters): Promise<InboxView> {
  const page = await exchange.inbox({
    state: filters.states.length > 0 ? filters.states.join(',') : undefined,
    delayed: filters.delayed === '' ? undefined : filters.delayed,
    _count: INBOX_PAGE_SIZE,
    release: filters.release,
    cursor: filters.cursor,
  });
  const patientIds = [...new Set(page.entries.flatMap((entry) => referenceId(entry.patient) ?? []))];
  const referenceIds = page.entries.flatMap((entry) => referenceId(entry.documentReference) ?? []);
  const [patients, referenceBundle] = await Promise.all([
    readByIds<Patient>('Patient', patientIds),
    referenceIds.length === 0
      ? undefined
      : fhir.search<DocumentReference>('DocumentReference', {
          _id: referenceIds.join(','),
          _include: 'DocumentReference:custodian',
          _count: referenceIds.length,
        }),
  ]);
  const organisations = new Map<string, string>();
  const senders = new Map<string, string>();
  if (referenceBundle) {
    for (const organisation of resourcesOf<Organization>(referenceBundle, 'Organization')) {
      organisations.set(`Organization/${organisation.id ?? ''}`, organisation.name ?? '');
    }
    for (const reference of resourcesOf<DocumentReference>(referenceBundle, 'DocumentReference')) {
      const name = organisations.get(reference.custodian?.reference ?? '');
      if (name !== undefined) senders.set(`DocumentReference/${reference.id ?? ''}`, name);
    }
  }
  return {
    entries: page.entries,
    ...(page.next === undefined ? {} : { next: page.next }),
    ...(page.total === undefined ? {} : { total: page.total }),
    totalCapped: page.totalCapped,
    patients,
    senders,
  };
}
