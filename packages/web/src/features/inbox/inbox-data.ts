import type { DocumentReference, Organization, Patient } from 'fhir/r4';
import { fhir, resourcesOf } from '../../fhir/client';
import { exchange, type InboxEntry } from '../../fhir/exchange';
import { referenceId } from '../../fhir/format';

export const INBOX_PAGE_SIZE = 20;

export interface InboxFilters {
  states: string[];
  delayed: '' | 'true' | 'false';
  groupByPatient: boolean;
  cursor?: string;
}

export interface InboxView {
  entries: InboxEntry[];
  next?: string;
  patients: Map<string, Patient>;
  senders: Map<string, string>;
  /** Documents with a recipient alarm due now (delivered but not filed in time). */
  alarmed: Set<string>;
  alarmCount: number;
}

export function filtersFrom(search: URLSearchParams): InboxFilters {
  const delayed = search.get('delayed');
  const cursor = search.get('cursor');
  return {
    states: (search.get('state') ?? '').split(',').filter((state) => state !== ''),
    delayed: delayed === 'true' || delayed === 'false' ? delayed : '',
    groupByPatient: search.get('group') === 'patient',
    ...(cursor === null ? {} : { cursor }),
  };
}

export function searchFrom(filters: InboxFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.states.length > 0) search.set('state', filters.states.join(','));
  if (filters.delayed !== '') search.set('delayed', filters.delayed);
  if (filters.groupByPatient) search.set('group', 'patient');
  if (filters.cursor !== undefined) search.set('cursor', filters.cursor);
  return search;
}

/**
 * One page of the inbox, server-side paged (keyset: the page's size never grows with the inbox),
 * with the patients and senders of that page only, fetched in two searches rather than per row.
 */
export async function loadInbox(filters: InboxFilters): Promise<InboxView> {
  const [page, alarms] = await Promise.all([
    exchange.inbox({
      state: filters.states.length > 0 ? filters.states.join(',') : undefined,
      delayed: filters.delayed === '' ? undefined : filters.delayed,
      _count: INBOX_PAGE_SIZE,
      cursor: filters.cursor,
    }),
    exchange.alarms().catch(() => []),
  ]);
  const patientIds = [...new Set(page.entries.flatMap((entry) => referenceId(entry.patient) ?? []))];
  const referenceIds = page.entries.flatMap((entry) => referenceId(entry.documentReference) ?? []);
  const [patientBundle, referenceBundle] = await Promise.all([
    patientIds.length === 0
      ? undefined
      : fhir.search<Patient>('Patient', { _id: patientIds.join(','), _count: patientIds.length }),
    referenceIds.length === 0
      ? undefined
      : fhir.search<DocumentReference>('DocumentReference', {
          _id: referenceIds.join(','),
          _include: 'DocumentReference:custodian',
          _count: referenceIds.length,
        }),
  ]);
  const patients = new Map<string, Patient>();
  for (const patient of patientBundle ? resourcesOf<Patient>(patientBundle, 'Patient') : [])
    patients.set(`Patient/${patient.id ?? ''}`, patient);
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
  const recipientAlarms = alarms.filter((alarm) => alarm.party === 'recipient');
  return {
    entries: page.entries,
    ...(page.next === undefined ? {} : { next: page.next }),
    patients,
    senders,
    alarmed: new Set(recipientAlarms.map((alarm) => alarm.document)),
    alarmCount: recipientAlarms.length,
  };
}
