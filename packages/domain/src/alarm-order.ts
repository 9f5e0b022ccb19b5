/** How urgent an alarm is, in every capability (document exchange, requests). */
export type AlarmSeverity = 'warning' | 'urgent' | 'critical';

const SEVERITY_RANK: Readonly<Record<AlarmSeverity, number>> = { critical: 0, urgent: 1, warning: 2 };

/**
 * The order every alarm list is shown in: most severe first, then the one due longest ago, so the
 * alarm to act on now heads each worklist whichever capability raised it.
 */
export function mostPressingFirst(
  a: { severity: AlarmSeverity; dueAt: Date },
  b: { severity: AlarmSeverity; dueAt: Date },
): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.dueAt.getTime() - b.dueAt.getTime();
}
