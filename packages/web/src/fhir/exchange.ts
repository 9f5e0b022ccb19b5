import type { Coding, Parameters } from 'fhir/r4';
import type { RejectionReason } from '../domain';
import { fhir, type Query } from './client';
import { flag, groups, integer, optional, parameters, partsOf, text, type Parts } from './parameters';

/**
 * The document-exchange operations (docs/conformance.md, "Document exchange"), with their
 * Parameters answers read into plain objects.
 */

export interface InboxEntry {
  document: string;
  title: string;
  kind: string;
  patient?: string;
  documentReference?: string;
  state: string;
  delivered?: string;
  eventAt?: string;
  delayedDays: number;
  hasMedicationChanges: boolean;
  hasActions: boolean;
  rejectionReason?: string;
  /** The backlog release that delivered it. */
  release?: string;
}

export interface InboxPage {
  entries: InboxEntry[];
  next?: string;
  /** Letters matching the filters over every page, counted by the server up to a cap. */
  total?: number;
  totalCapped: boolean;
}

export function readInbox(answer: Parameters): InboxPage {
  const parts = partsOf(answer);
  const entries = groups(parts, 'entry').map((entry): InboxEntry => ({
    document: text(entry, 'document') ?? '',
    title: text(entry, 'title') ?? '',
    kind: text(entry, 'kind') ?? '',
    state: text(entry, 'state') ?? '',
    delayedDays: integer(entry, 'delayedDays') ?? 0,
    hasMedicationChanges: flag(entry, 'hasMedicationChanges'),
    hasActions: flag(entry, 'hasActions'),
    ...optional('patient', text(entry, 'patient')),
    ...optional('documentReference', text(entry, 'documentReference')),
    ...optional('delivered', text(entry, 'delivered')),
    ...optional('eventAt', text(entry, 'eventAt')),
    ...optional('rejectionReason', text(entry, 'rejectionReason')),
    ...optional('release', text(entry, 'release')),
  }));
  const total = integer(parts, 'total');
  return {
    entries,
    ...optional('next', text(parts, 'next')),
    ...(total === undefined ? {} : { total }),
    totalCapped: flag(parts, 'totalCapped'),
  };
}

export interface LedgerEvent {
  from?: string;
  to?: string;
  at?: string;
  who?: string;
  role?: string;
  reason?: string;
}

export const LEDGER_STEPS = [
  'created',
  'authorised',
  'queued',
  'delivered',
  'opened',
  'filed',
  'rejected',
  'superseded',
  'withdrawn',
] as const;
export type LedgerStep = (typeof LEDGER_STEPS)[number];

export interface LedgerRecipient {
  row: string;
  recipientKind?: string;
  organization?: string;
  ods?: string;
  patient?: string;
  transport?: string;
  state: string;
  times: Partial<Record<LedgerStep, string>>;
  rejectionReason?: string;
  rejectionDetail?: string;
  delayedDays: number;
  events: LedgerEvent[];
}

export interface Ledger {
  document: string;
  title: string;
  kind: string;
  status: string;
  patient?: string;
  sender?: string;
  documentReference?: string;
  eventAt?: string;
  holdReason?: string;
  hasMedicationChanges: boolean;
  hasActions: boolean;
  recipients: LedgerRecipient[];
}

function readEvent(parts: Parts): LedgerEvent {
  return {
    ...optional('from', text(parts, 'from')),
    ...optional('to', text(parts, 'to')),
    ...optional('at', text(parts, 'at')),
    ...optional('who', text(parts, 'who')),
    ...optional('role', text(parts, 'role')),
    ...optional('reason', text(parts, 'reason')),
  };
}

export function readLedger(answer: Parameters): Ledger {
  const parts = partsOf(answer);
  return {
    document: text(parts, 'document') ?? '',
    title: text(parts, 'title') ?? '',
    kind: text(parts, 'kind') ?? '',
    status: text(parts, 'status') ?? '',
    hasMedicationChanges: flag(parts, 'hasMedicationChanges'),
    hasActions: flag(parts, 'hasActions'),
    ...optional('patient', text(parts, 'patient')),
    ...optional('sender', text(parts, 'sender')),
    ...optional('documentReference', text(parts, 'documentReference')),
    ...optional('eventAt', text(parts, 'eventAt')),
    ...optional('holdReason', text(parts, 'holdReason')),
    recipients: groups(parts, 'recipient').map((row): LedgerRecipient => {
      const times: Partial<Record<LedgerStep, string>> = {};
      for (const step of LEDGER_STEPS) {
        const at = text(row, step);
        if (at !== undefined) times[step] = at;
      }
      return {
        row: text(row, 'row') ?? '',
        state: text(row, 'state') ?? '',
        times,
        delayedDays: integer(row, 'delayedDays') ?? 0,
        events: groups(row, 'event').map(readEvent),
        ...optional('recipientKind', text(row, 'recipientKind')),
        ...optional('organization', text(row, 'organization')),
        ...optional('ods', text(row, 'ods')),
        ...optional('patient', text(row, 'patient')),
        ...optional('transport', text(row, 'transport')),
        ...optional('rejectionReason', text(row, 'rejectionReason')),
        ...optional('rejectionDetail', text(row, 'rejectionDetail')),
      };
    }),
  };
}

export interface Alarm {
  code: string;
  severity: string;
  party: string;
  due?: string;
  message: string;
  document: string;
  state?: string;
  recipient?: string;
}

export function readAlarms(answer: Parameters): Alarm[] {
  return groups(partsOf(answer), 'alarm').map((alarm) => ({
    code: text(alarm, 'code') ?? '',
    severity: text(alarm, 'severity') ?? '',
    party: text(alarm, 'party') ?? '',
    message: text(alarm, 'message') ?? '',
    document: text(alarm, 'document') ?? '',
    ...optional('due', text(alarm, 'due')),
    ...optional('state', text(alarm, 'state')),
    ...optional('recipient', text(alarm, 'recipient')),
  }));
}

export interface SubmitOutcome {
  outcome: string;
  document: string;
  status: string;
}

function readOutcome(answer: Parameters): SubmitOutcome {
  const parts = partsOf(answer);
  return {
    outcome: text(parts, 'outcome') ?? '',
    document: text(parts, 'document') ?? '',
    status: text(parts, 'status') ?? '',
  };
}

const documentParameter = (documentId: string) => ({ name: 'document', valueString: documentId });

export const exchange = {
  async inbox(query: Query): Promise<InboxPage> {
    return readInbox(await fhir.operation('$inbox', query));
  },
  async ledger(documentId: string): Promise<Ledger> {
    return readLedger(await fhir.operation('$document-ledger', { document: documentId }));
  },
  async alarms(): Promise<Alarm[]> {
    return readAlarms(await fhir.operation('$exchange-alarms'));
  },
  async submit(bundle: unknown): Promise<SubmitOutcome> {
    return readOutcome(await fhir.post('$submit-document', bundle));
  },
  async authorise(documentId: string): Promise<SubmitOutcome> {
    return readOutcome(await fhir.post('$authorise-document', parameters([documentParameter(documentId)])));
  },
  async open(documentId: string): Promise<void> {
    await fhir.post('$open-document', parameters([documentParameter(documentId)]));
  },
  /**
   * Files the letter, importing its coded entries: `declined` ones are left out, `amended` ones filed
   * under their replacement. Returns what was written.
   */
  async file(
    documentId: string,
    declined: readonly Coding[],
    amended: ReadonlyArray<{ original: Coding; replacement: Coding }> = [],
  ): Promise<string[]> {
    const answer = await fhir.post(
      '$file-document',
      parameters([
        documentParameter(documentId),
        ...declined.map((coding) => ({ name: 'decline', valueCoding: coding })),
        ...amended.map(({ original, replacement }) => ({
          name: 'amend',
          part: [
            { name: 'code', valueCoding: original },
            { name: 'replacement', valueCoding: replacement },
          ],
        })),
      ]),
    );
    return partsOf(answer)
      .filter((part) => part.name === 'written')
      .map((part) => part.valueReference?.reference ?? '');
  },
  async reject(documentId: string, reason: RejectionReason, detail: string): Promise<void> {
    await fhir.post(
      '$reject-document',
      parameters([
        documentParameter(documentId),
        { name: 'reason', valueCode: reason },
        { name: 'detail', valueString: detail },
      ]),
    );
  },
};
