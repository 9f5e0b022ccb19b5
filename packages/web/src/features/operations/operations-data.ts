import type { Organization } from 'fhir/r4';
import { fhir, resourcesOf } from '../../fhir/client';
import { exchange, type InboxEntry } from '../../fhir/exchange';

/** How many of each organisation's most recent letters the overview reads (one page of $inbox). */
export const OVERVIEW_SAMPLE = 500;
export const THROUGHPUT_DAYS = 14;

export interface OrganisationRow {
  id: string;
  name: string;
  counts: Record<string, number>;
  total: number;
}

export interface Overview {
  organisations: OrganisationRow[];
  states: string[];
  overdue: Array<{ code: string; count: number }>;
  perDay: Array<{ day: string; count: number }>;
}

/** Days (YYYY-MM-DD, London) ending today, oldest first, each with the letters delivered that day. */
export function deliveriesPerDay(
  entries: readonly InboxEntry[],
  today: Date,
  days: number,
): Array<{ day: string; count: number }> {
  const dayOf = (date: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(date);
  const counts = new Map<string, number>();
  for (let offset = days - 1; offset >= 0; offset -= 1)
    counts.set(dayOf(new Date(today.getTime() - offset * 86_400_000)), 0);
  for (const entry of entries) {
    if (entry.delivered === undefined) continue;
    const day = dayOf(new Date(entry.delivered));
    const current = counts.get(day);
    if (current !== undefined) counts.set(day, current + 1);
  }
  return [...counts.entries()].map(([day, count]) => ({ day, count }));
}

export async function loadOverview(now: Date): Promise<Overview> {
  const [directory, alarms] = await Promise.all([
    fhir.search<Organization>('Organization', { _count: 200 }),
    exchange.alarms(),
  ]);
  const organisations = resourcesOf<Organization>(directory, 'Organization');
  const pages = await Promise.all(
    organisations.map((organisation) =>
      exchange
        .inbox({ organization: `Organization/${organisation.id ?? ''}`, _count: OVERVIEW_SAMPLE })
        .catch(() => ({ entries: [] })),
    ),
  );
  const states = new Set<string>();
  const rows: OrganisationRow[] = organisations
    .map((organisation, index) => {
      const counts: Record<string, number> = {};
      const entries = pages[index]?.entries ?? [];
      for (const entry of entries) {
        counts[entry.state] = (counts[entry.state] ?? 0) + 1;
        states.add(entry.state);
      }
      return { id: organisation.id ?? '', name: organisation.name ?? '', counts, total: entries.length };
    })
    .filter((row) => row.total > 0);
  const overdue = new Map<string, number>();
  for (const alarm of alarms) overdue.set(alarm.code, (overdue.get(alarm.code) ?? 0) + 1);
  return {
    organisations: rows,
    states: [...states].sort(),
    overdue: [...overdue.entries()].map(([code, count]) => ({ code, count })),
    perDay: deliveriesPerDay(
      pages.flatMap((page) => page.entries),
      now,
      THROUGHPUT_DAYS,
    ),
  };
}
