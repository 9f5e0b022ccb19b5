import { useState, type FormEvent } from 'react';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import { Radios, Textarea } from '../../components/fields';
import { Loaded, ProblemPanel, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { Panel, SummaryList } from '../../components/ui';
import { fhir } from '../../fhir/client';
import { formatDateTime } from '../../fhir/format';
import { groups, parameters, partsOf, text, type Parts } from '../../fhir/parameters';
import { t } from '../../strings/en-GB';

interface BreakGlassSession {
  id: string;
  patient: string;
  user: string;
  role: string;
  reason: string;
  text: string;
  started?: string;
  ended?: string;
}

function readSession(parts: Parts): BreakGlassSession {
  const reason = parts.find((part) => part.name === 'reason')?.valueCoding;
  return {
    id: text(parts, 'session') ?? '',
    patient: text(parts, 'patient') ?? '',
    user: text(parts, 'user') ?? '',
    role: text(parts, 'role') ?? '',
    reason: reason?.display ?? reason?.code ?? '',
    text: text(parts, 'text') ?? '',
    ...(text(parts, 'started') === undefined ? {} : { started: text(parts, 'started') }),
    ...(text(parts, 'ended') === undefined ? {} : { ended: text(parts, 'ended') }),
  };
}

async function loadSessions(): Promise<BreakGlassSession[]> {
  return groups(partsOf(await fhir.operation('$break-glass-review')), 'session').map(readSession);
}

export function BreakGlassReviewsPage() {
  const [load, reload] = useLoad(loadSessions, 'reviews');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [reviewed, setReviewed] = useState(false);
  return (
    <Page title={t.privacy.reviewsTitle} hasErrors={errors.length > 0} wide>
      <ErrorSummary errors={errors} />
      {reviewed && <Panel title={t.privacy.reviewed} />}
      <p className="nhsuk-body">{t.privacy.reviewsLead}</p>
      <Loaded load={load}>
        {(sessions) =>
          sessions.length === 0 ? (
            <p className="nhsuk-body">{t.privacy.none}</p>
          ) : (
            sessions.map((session, index) => (
              <ReviewCard
                key={session.id}
                session={session}
                index={index}
                errors={errors}
                setErrors={setErrors}
                onReviewed={() => {
                  setReviewed(true);
                  reload();
                }}
              />
            ))
          )
        }
      </Loaded>
    </Page>
  );
}

function ReviewCard(props: {
  session: BreakGlassSession;
  index: number;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
  onReviewed: () => void;
}) {
  const { session } = props;
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [failure, setFailure] = useState<Error | undefined>();
  const outcomeId = `outcome-${props.index}`;
  const noteId = `note-${props.index}`;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const errors: FieldError[] = [];
    if (outcome === '') errors.push({ field: outcomeId, message: t.privacy.outcomeError });
    if (note.trim() === '') errors.push({ field: noteId, message: t.privacy.noteError });
    props.setErrors(errors);
    if (errors.length > 0) return;
    try {
      await fhir.post(
        '$break-glass-review',
        parameters([
          { name: 'session', valueString: session.id },
          { name: 'outcome', valueCode: outcome },
          { name: 'note', valueString: note.trim() },
        ]),
      );
      props.onReviewed();
    } catch (error) {
      setFailure(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return (
    <div className="nhsuk-card">
      <div className="nhsuk-card__content">
        <h2 className="nhsuk-card__heading">
          {session.user} ({session.role})
        </h2>
        {failure && <ProblemPanel error={failure} />}
        <SummaryList
          rows={[
            [t.privacy.patient, session.patient],
            [t.privacy.reason, `${session.reason}. ${session.text}`],
            [t.privacy.started, formatDateTime(session.started)],
            [t.privacy.ended, formatDateTime(session.ended) || t.tracking.notYet],
          ]}
        />
        <form onSubmit={(event) => void submit(event)} noValidate>
          <Radios
            id={outcomeId}
            label={t.privacy.outcomeLegend}
            inline
            value={outcome}
            onChange={setOutcome}
            error={errorFor(props.errors, outcomeId)}
            options={Object.entries(t.privacy.outcomes).map(([value, label]) => ({ value, label }))}
          />
          <Textarea
            id={noteId}
            label={t.privacy.noteLabel}
            value={note}
            onChange={setNote}
            error={errorFor(props.errors, noteId)}
          />
          <button className="nhsuk-button" type="submit">
            {t.privacy.submit}
          </button>
        </form>
      </div>
    </div>
  );
}
