import type { Parameters } from 'fhir/r4';
import { fhir } from '../../fhir/client';
import {
  flag,
  groups,
  integer,
  optional,
  parameters,
  partsOf,
  text,
  type Parts,
} from '../../fhir/parameters';
import { referenceId } from '../../fhir/format';

/**
 * The operations screens read aggregates the server counts (`$exchange-overview`) and the durable
 * progress of backlog releases (`$backlog-release-status`); nothing here samples or counts letters.
 * Organisations come named by the server, so no list of them is looked up here, however long.
 */

export const THROUGHPUT_DAYS = 14;

export interface OrganisationRow {
  /** Organization id, or '' for rows without an organisation (patients' own copies). */
  id: string;
  ods: string;
  /** From the directory; absent when the directory does not know the organisation. */
  name?: string;
  counts: Record<string, number>;
  total: number;
}

export interface ReleaseStatus {
  release?: string;
  status?: 'running' | 'complete';
  stalled: boolean;
  running: boolean;
  total: number;
  delivered: number;
  duplicatesRecorded: number;
  queued: number;
  skipped: number;
  processed: number;
  remaining: number;
  awaitingRelease: number;
  started?: string;
  lastBatch?: string;
  completed?: string;
  lastError?: string;
  practices: PracticePlan[];
}

export interface PracticePlan {
  ods: string;
  organization?: string;
  name?: string;
  total: number;
  patients: number;
  withMedicationChanges: number;
  duplicates: number;
}

export interface Overview {
  received: OrganisationRow[];
  sent: OrganisationRow[];
  states: string[];
  overdue: Array<{ code: string; count: number }>;
  perDay: Array<{ day: string; count: number }>;
  backlog: ReleaseStatus;
}

export function readReleaseStatus(parts: Parts): ReleaseStatus {
  const status = text(parts, 'status');
  return {
    ...optional('release', text(parts, 'release')),
    ...(status === 'running' || status === 'complete' ? { status } : {}),
    stalled: flag(parts, 'stalled'),
    running: flag(parts, 'running'),
    total: integer(parts, 'total') ?? 0,
    delivered: integer(parts, 'delivered') ?? 0,
    duplicatesRecorded: integer(parts, 'duplicatesRecorded') ?? 0,
    queued: integer(parts, 'queued') ?? 0,
    skipped: integer(parts, 'skipped') ?? 0,
    processed: integer(parts, 'processed') ?? 0,
    remaining: integer(parts, 'remaining') ?? 0,
    awaitingRelease: integer(parts, 'awaitingRelease') ?? 0,
    ...optional('started', text(parts, 'started')),
    ...optional('lastBatch', text(parts, 'lastBatch')),
    ...optional('completed', text(parts, 'completed')),
    ...optional('lastError', text(parts, 'lastError')),
    practices: groups(parts, 'practice').map((practice) => ({
      ods: text(practice, 'ods') ?? '',
      ...optional('organization', text(practice, 'organization')),
      ...optional('name', text(practice, 'name')),
      total: integer(practice, 'total') ?? 0,
      patients: integer(practice, 'patients') ?? 0,
      withMedicationChanges: integer(practice, 'withMedicationChanges') ?? 0,
      duplicates: integer(practice, 'duplicates') ?? 0,
    })),
  };
}

/** The `ledger` groups of one side, one row per organisation with its count in each state. */
function organisationRows(ledger: Parts[], side: 'recipient' | 'sender'): OrganisationRow[] {
  const rows = new Map<string, OrganisationRow>();
  for (const part of ledger) {
    if (text(part, 'side') !== side) continue;
    const id = referenceId(text(part, 'organization')) ?? '';
    const ods = text(part, 'ods') ?? '';
    const key = `${id}|${ods}`;
    const row = rows.get(key) ?? { id, ods, ...optional('name', text(part, 'name')), counts: {}, total: 0 };
    const state = text(part, 'state') ?? '';
    const count = integer(part, 'count') ?? 0;
    row.counts[state] = (row.counts[state] ?? 0) + count;
    row.total += count;
    rows.set(key, row);
  }
  return [...rows.values()];
}

export function readOverview(answer: Parameters): Overview {
  const parts = partsOf(answer);
  const ledger = groups(parts, 'ledger');
  return {
    received: organisationRows(ledger, 'recipient'),
    sent: organisationRows(ledger, 'sender'),
    states: [...new Set(ledger.map((part) => text(part, 'state') ?? ''))].sort(),
    overdue: groups(parts, 'overdue').map((part) => ({
      code: text(part, 'code') ?? '',
      count: integer(part, 'count') ?? 0,
    })),
    perDay: groups(parts, 'delivered').map((part) => ({
      day: text(part, 'day') ?? '',
      count: integer(part, 'count') ?? 0,
    })),
    backlog: readReleaseStatus(groups(parts, 'backlog')[0] ?? []),
  };
}

export async function loadOverview(): Promise<Overview> {
  return readOverview(await fhir.operation('$exchange-overview', { days: THROUGHPUT_DAYS }));
}

export const backlog = {
  async status(release?: string): Promise<ReleaseStatus> {
    return readReleaseStatus(
      partsOf(await fhir.operation('$backlog-release-status', release === undefined ? {} : { release })),
    );
  },
  /** What releasing every held letter would deliver, per practice, without delivering anything. */
  async plan(): Promise<ReleaseStatus> {
    const answer = await fhir.post('$release-backlog', parameters([{ name: 'dryRun', valueBoolean: true }]));
    return readReleaseStatus(partsOf(answer));
  },
  /** Starts releasing every held letter (or resumes `release`); the server runs the batches. */
  async start(release?: string): Promise<ReleaseStatus> {
    const answer = await fhir.post(
      '$release-backlog',
      parameters([
        { name: 'background', valueBoolean: true },
        ...(release === undefined ? [] : [{ name: 'release', valueString: release }]),
      ]),
    );
    return readReleaseStatus(partsOf(answer));
  },
};
