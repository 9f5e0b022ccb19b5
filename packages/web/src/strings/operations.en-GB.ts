/**
 * Words of the operations screens: the letters overview and backlog release. The overview's original
 * headings stay in en-GB.ts (`t.operations`); what these screens added lives here.
 */
export const operationsText = {
  receivedBy: 'Letters by receiving organisation and status',
  sentBy: 'Letters by sending organisation and status',
  patientCopies: 'Patients’ own copies',
  unknownOrganisation: (ods: string) => `Organisation ${ods}`,
  overdueLead: 'Alarms due now across every organisation, counted from the whole ledger.',
  viewAlarms: (label: string) => `${label}: view alarms`,
  backlogHeading: 'Backlog release',
  backlogAwaiting: 'Held letters waiting for release',
  backlogLatest: 'Latest release',
  /** The latest release in one line: how it stands, what it delivered, and when it last moved. */
  backlogLatestLine: (
    state: 'running' | 'complete' | 'stalled',
    delivered: number,
    duplicates: number,
    when: string,
  ) =>
    `${operationsText.backlog.statuses[state] ?? state}: ${operationsText.backlog.finishedBody(delivered, duplicates)} ${when}`,
  backlogLink: 'Go to backlog release',
  backlog: {
    title: 'Backlog release',
    lead: 'Letters held after an outage are delivered per patient, oldest first, each marked as delayed. Letters a practice already has are recorded as duplicates, not sent again.',
    nothingHeld: 'There are no held letters waiting for release.',
    planCaption: 'What will be released, by practice',
    planColumns: ['Practice', 'Letters', 'Patients', 'With medication changes', 'Duplicates (not sent)'],
    planTotal: (letters: number, practices: number) =>
      `${letters} ${letters === 1 ? 'letter' : 'letters'} to ${practices} ${practices === 1 ? 'practice' : 'practices'}`,
    patientCopies: 'Patients’ own copies',
    confirmLegend: 'Confirm the release',
    confirmLabel: 'I have checked the letters each practice will receive',
    confirmHint: 'Practices see released letters in their inbox straight away, grouped by patient.',
    confirmError: 'Confirm that you have checked the letters each practice will receive',
    start: 'Start release',
    resume: 'Resume release',
    progressHeading: 'Release progress',
    progressLabel: 'Letters processed',
    announce: (percent: number) => `Release ${percent}% complete`,
    announceFinished: 'Release finished',
    announceStalled: 'Release stopped',
    status: 'Status',
    statuses: { running: 'Running', complete: 'Finished', stalled: 'Stopped' } as Record<string, string>,
    planned: 'Planned',
    delivered: 'Delivered',
    duplicates: 'Duplicates recorded (not sent)',
    queued: 'Sent to other systems',
    skipped: 'Skipped (withdrawn or replaced meanwhile)',
    remaining: 'Remaining',
    held: 'Held letters still waiting for a release',
    started: 'Started',
    lastBatch: 'Last batch',
    finished: 'Finished',
    notYet: 'Not yet',
    stalledHeading: 'This release has stopped',
    stalledBody: (remaining: number) =>
      `${remaining} ${remaining === 1 ? 'letter has' : 'letters have'} not been released. Resume the release to deliver the rest; nothing is delivered twice.`,
    lastError: (message: string) => `Last error: ${message}`,
    pollFailedHeading: 'Progress not updated',
    pollFailedBody: (when: string) =>
      `The progress could not be read at ${when}. It is being read again; the release carries on in the meantime.`,
    finishedHeading: 'Release finished',
    finishedBody: (delivered: number, duplicates: number) =>
      `${delivered} ${delivered === 1 ? 'letter' : 'letters'} delivered, ${duplicates} recorded as duplicates.`,
  },
  inbox: {
    total: (total: number, capped: boolean) =>
      capped
        ? `More than ${total.toLocaleString('en-GB')} letters`
        : `${total.toLocaleString('en-GB')} ${total === 1 ? 'letter' : 'letters'}`,
    releaseLink: 'Show this backlog release grouped by patient',
    releaseCaption: 'Letters from a backlog release, grouped by patient, oldest first',
    alarmsFailedHeading: 'Alarms could not be loaded',
    alarmsFailedBody:
      'We could not check these letters for alarms, so letters that are overdue are not marked. Reload the page to try again.',
  },
};
