import { useEffect, useState, type FormEvent } from 'react';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import { Checkboxes } from '../../components/fields';
import { Loaded, ProblemPanel, useLoad, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { SummaryList, Table, WarningCallout } from '../../components/ui';
import { formatDateTime } from '../../fhir/format';
import { operationsText as o } from '../../strings/operations.en-GB';
import { backlog, type ReleaseStatus } from './operations-data';

/** How often the progress is read while a release runs (issue 5: live progress). */
export const POLL_MS = 1500;

/**
 * Backlog release: confirm what will be released (letters per practice, from the server's plan),
 * start it, and watch it. The progress is what the server committed, read every POLL_MS, so a
 * reload or another browser shows the same; reading stops when the release has finished. A read
 * that fails is said so and tried again at the next tick: the release runs on in the server.
 */
export function BacklogReleasePage() {
  const [load, reload] = useLoad(async () => {
    const status = await backlog.status();
    const plan = status.status !== 'running' && status.awaitingRelease > 0 ? await backlog.plan() : undefined;
    return { status, plan };
  }, 'backlog');
  const [errors, setErrors] = useState<FieldError[]>([]);
  return (
    <Page title={o.backlog.title} hasErrors={errors.length > 0} wide>
      <ErrorSummary errors={errors} />
      <p className="nhsuk-body">{o.backlog.lead}</p>
      <Loaded load={load}>
        {({ status, plan }) => (
          <>
            {status.release !== undefined && <Progress key={status.release} initial={status} />}
            {plan === undefined ? (
              status.status !== 'running' && <p className="nhsuk-body">{o.backlog.nothingHeld}</p>
            ) : (
              <StartForm plan={plan} errors={errors} setErrors={setErrors} onStarted={reload} />
            )}
          </>
        )}
      </Loaded>
    </Page>
  );
}

function StartForm({
  plan,
  errors,
  setErrors,
  onStarted,
}: {
  plan: ReleaseStatus;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
  onStarted: () => void;
}) {
  const [confirmed, setConfirmed] = useState<string[]>([]);
  const { sending, failure, send } = useSending();
  const letters = plan.practices.reduce((sum, practice) => sum + practice.total, 0);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = confirmed.length === 0 ? [{ field: 'confirm', message: o.backlog.confirmError }] : [];
    setErrors(found);
    if (found.length > 0) return;
    await send(async () => {
      await backlog.start();
      onStarted();
    });
  };
  return (
    <>
      {failure && <ProblemPanel error={failure} />}
      <Table
        caption={o.backlog.planCaption}
        head={o.backlog.planColumns}
        rows={plan.practices.map((practice) => {
          const name =
            practice.ods === 'patient-copies'
              ? o.backlog.patientCopies
              : `${practice.name ?? practice.ods} (${practice.ods})`;
          return {
            key: practice.ods,
            cells: [
              name,
              String(practice.total),
              String(practice.patients),
              String(practice.withMedicationChanges),
              String(practice.duplicates),
            ],
          };
        })}
      />
      <p className="nhsuk-body">{o.backlog.planTotal(letters, plan.practices.length)}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Checkboxes
          id="confirm"
          label={o.backlog.confirmLegend}
          hint={o.backlog.confirmHint}
          values={confirmed}
          onChange={setConfirmed}
          error={errorFor(errors, 'confirm')}
          options={[{ value: 'checked', label: o.backlog.confirmLabel }]}
        />
        <button className="nhsuk-button" type="submit" disabled={sending}>
          {o.backlog.start}
        </button>
      </form>
    </>
  );
}

/**
 * Reads the release's progress until it has finished, announcing it politely in steps of 10%. Every
 * read, answered or failed, schedules the next one, so one failed read never stops the page following.
 */
function Progress({ initial }: { initial: ReleaseStatus }) {
  const [status, setStatus] = useState(initial);
  const [reads, setReads] = useState(0);
  const [readFailedAt, setReadFailedAt] = useState<string | undefined>();
  const { sending: resuming, failure, send } = useSending();
  const finished = status.status === 'complete';
  const release = status.release;
  useEffect(() => {
    if (finished || release === undefined) return;
    let current = true;
    const timer = window.setTimeout(() => {
      backlog.status(release).then(
        (next) => {
          if (!current) return;
          setStatus(next);
          setReadFailedAt(undefined);
          setReads((count) => count + 1);
        },
        () => {
          if (!current) return;
          setReadFailedAt(new Date().toISOString());
          setReads((count) => count + 1);
        },
      );
    }, POLL_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [release, finished, reads]);
  const resume = () => send(async () => setStatus(await backlog.start(status.release)));
  const percent = status.total === 0 ? 100 : Math.floor((status.processed / status.total) * 100);
  const announcement = finished
    ? o.backlog.announceFinished
    : status.stalled
      ? o.backlog.announceStalled
      : readFailedAt !== undefined
        ? o.backlog.pollFailedHeading
        : o.backlog.announce(Math.floor(percent / 10) * 10);
  const state = finished ? 'complete' : status.stalled ? 'stalled' : 'running';
  const when = (value: string | undefined) =>
    value === undefined ? o.backlog.notYet : formatDateTime(value);
  return (
    <section aria-labelledby="progress-heading">
      <h2 id="progress-heading">{o.backlog.progressHeading}</h2>
      {failure && <ProblemPanel error={failure} />}
      {readFailedAt !== undefined && !finished && (
        <WarningCallout heading={o.backlog.pollFailedHeading}>
          <p>{o.backlog.pollFailedBody(formatDateTime(readFailedAt))}</p>
        </WarningCallout>
      )}
      <div className="nhsuk-u-visually-hidden" aria-live="polite" role="status">
        {announcement}
      </div>
      <label className="nhsuk-label" htmlFor="release-progress">
        {o.backlog.progressLabel}
      </label>
      <progress
        id="release-progress"
        className="cb-progress"
        max={Math.max(status.total, 1)}
        value={status.total === 0 ? 1 : status.processed}
      >
        {percent}%
      </progress>
      {status.stalled && !finished && (
        <WarningCallout heading={o.backlog.stalledHeading}>
          <p>{o.backlog.stalledBody(status.remaining)}</p>
          {status.lastError !== undefined && <p>{o.backlog.lastError(status.lastError)}</p>}
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={resuming}
            onClick={() => void resume()}
          >
            {o.backlog.resume}
          </button>
        </WarningCallout>
      )}
      <SummaryList
        rows={[
          [o.backlog.status, o.backlog.statuses[state] ?? state],
          [o.backlog.planned, String(status.total)],
          [o.backlog.delivered, String(status.delivered)],
          [o.backlog.duplicates, String(status.duplicatesRecorded)],
          [o.backlog.queued, String(status.queued)],
          [o.backlog.skipped, String(status.skipped)],
          [o.backlog.remaining, String(status.remaining)],
          [o.backlog.held, String(status.awaitingRelease)],
          [o.backlog.started, when(status.started)],
          [o.backlog.lastBatch, when(status.lastBatch)],
          [o.backlog.finished, when(status.completed)],
        ]}
      />
    </section>
  );
}
