import { useState, type FormEvent, type ReactNode } from 'react';
import { useParams } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import { Radios, Textarea } from '../../components/fields';
import { Loaded, ProblemPanel, useLoad, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink, InsetText, Panel, SummaryList, Table, WarningCallout } from '../../components/ui';
import { displayName, formatDate, formatDateTime, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import {
  requests,
  type ActionOutcome,
  type Decline,
  type RequestAction,
  type RequestSummary,
} from '../../fhir/requests';
import { r } from '../../strings/requests.en-GB';
import { AlarmTags, FlagTag, RequestStatusTag } from './parts';
import { loadRequest, receipt, validateCancel, validateDecline, type RequestView } from './request-data';

type Act = (action: RequestAction, detail?: { decline?: Decline; reason?: string }) => Promise<void>;

const statusWord = (status: string | undefined): string =>
  status === undefined ? '' : (r.statuses[status as keyof typeof r.statuses] ?? status);

/**
 * One request: what was asked, the contract's view of whose work it is, its whole history, and what
 * the user's side can do now. The owner accepts or declines (in one step, citing the clause, when
 * the rules flag it) and records progress; the requester cancels, and sees a decline at once.
 */
export function RequestPage() {
  const { taskId = '' } = useParams();
  const user = useSignedInUser();
  const [load, reload] = useLoad(() => loadRequest(taskId), `${taskId}:${user.username}`);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { sending, failure, setFailure, send } = useSending();
  const [done, setDone] = useState<ActionOutcome | undefined>();
  const view = load.status === 'ready' ? load.data : undefined;
  const title = view
    ? (r.categories[view.request.category as keyof typeof r.categories] ?? view.request.categoryDisplay)
    : r.request.caption;

  const act: Act = async (action, detail = {}) => {
    setFailure(undefined);
    await send(async () => {
      setDone(await requests.act(taskId, action, detail));
      setErrors([]);
      reload();
      window.scrollTo(0, 0);
    });
  };

  const back =
    view?.side === 'requester'
      ? { to: '/requests/sent', label: r.request.backToTracker }
      : { to: '/requests', label: r.request.back };
  return (
    <Page
      title={title}
      caption={r.request.caption}
      hasErrors={errors.length > 0}
      before={<BackLink to={back.to}>{back.label}</BackLink>}
    >
      <ErrorSummary errors={errors} />
      {failure && <ProblemPanel error={failure} />}
      {done && <DonePanel outcome={done} />}
      <Loaded load={load}>
        {(loaded) =>
          loaded === undefined ? (
            <p className="nhsuk-body">{r.request.notFound}</p>
          ) : (
            <RequestBody view={loaded} act={act} errors={errors} setErrors={setErrors} sending={sending} />
          )
        }
      </Loaded>
    </Page>
  );
}

function DonePanel({ outcome }: { outcome: ActionOutcome }) {
  const { request } = outcome;
  const acknowledged = outcome.outcome === 'declined' && request.declineAcknowledged !== undefined;
  const title = acknowledged ? r.done.acknowledged : (r.done.titles[outcome.outcome] ?? r.done.unchanged);
  const body =
    outcome.outcome === 'declined' && !acknowledged
      ? r.done.declinedBody(request.requesterName)
      : outcome.outcome === 'cancelled'
        ? r.done.cancelledBody(request.ownerName)
        : undefined;
  return <Panel title={title}>{body}</Panel>;
}

function RequestBody(props: {
  view: RequestView;
  act: Act;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
  sending: boolean;
}) {
  const { request, patient, side } = props.view;
  const allowed = new Set(props.view.request.allowedActions);
  return (
    <>
      <Responsibility request={request} />
      {side === 'requester' && request.status === 'declined' && (
        <DeclinedNotice
          request={request}
          act={props.act}
          sending={props.sending}
          canAcknowledge={allowed.has('acknowledge-decline')}
        />
      )}
      <h2>{r.request.details}</h2>
      <SummaryList
        rows={[
          [r.request.patient, patient ? displayName(patient.name) : r.worklist.unknownPatient],
          [r.request.nhsNumber, formatNhsNumber(nhsNumberOf(patient))],
          [r.request.status, <Status request={request} />],
          [r.request.from, r.worklist.from(request.requesterName, request.requestingPerson)],
          [r.request.to, request.ownerName],
          [r.request.reason, request.reason],
          [r.request.specialty, request.specialty],
          [r.request.priority, r.priorities[request.priority] ?? request.priority],
          [r.request.due, request.due === undefined ? r.request.noDue : formatDate(request.due)],
          [r.request.created, formatDateTime(request.created)],
          [r.request.received, <Received request={request} />],
          ...(request.circumstances.length === 0
            ? []
            : [
                [
                  r.request.circumstances,
                  request.circumstances
                    .map((code) => r.circumstances[code as keyof typeof r.circumstances] ?? code)
                    .join('; '),
                ] as const,
              ]),
          ...(request.careContext === undefined
            ? []
            : [
                [
                  r.request.careContext,
                  r.careContexts[request.careContext as keyof typeof r.careContexts] ?? request.careContext,
                ] as const,
              ]),
          [r.request.estimatedMinutes, r.request.minutes(request.estimatedMinutes)],
        ]}
      />
      {side === 'owner' && (allowed.has('accept') || allowed.has('decline')) && (
        <Respond {...props} allowed={allowed} />
      )}
      {side === 'owner' && (allowed.has('start') || allowed.has('complete')) && (
        <Progress request={request} allowed={allowed} act={props.act} sending={props.sending} />
      )}
      {side === 'requester' && allowed.has('cancel') && <Cancel {...props} />}
      <History request={request} />
    </>
  );
}

/** Whether the owner has seen it: who received it and when, or that nobody there has opened it yet. */
function Received({ request }: { request: RequestSummary }) {
  const seen = receipt(request);
  if (seen !== undefined) return <>{r.request.receivedBy(seen.who, formatDateTime(seen.at))}</>;
  if (request.received !== undefined) return <>{formatDateTime(request.received)}</>;
  return <>{r.request.notYetReceived(request.ownerName)}</>;
}

function Status({ request }: { request: RequestSummary }) {
  return (
    <div className="cb-tags">
      <RequestStatusTag status={request.status} />
      <AlarmTags alarms={request.alarms} />
    </div>
  );
}

/** The contract's view, shown alike to both sides. */
function Responsibility({ request }: { request: RequestSummary }) {
  const { responsibility } = request;
  if (responsibility.placesOnRequester) {
    return (
      <WarningCallout heading={r.flag.heading}>
        <p>
          <FlagTag request={request} />
        </p>
        <p>{responsibility.explanation}</p>
      </WarningCallout>
    );
  }
  return (
    <InsetText>
      <p>
        {responsibility.responsible === 'owner-by-agreement'
          ? `${r.flag.byAgreement}. ${responsibility.explanation}`
          : responsibility.explanation}
      </p>
    </InsetText>
  );
}

/** A decline, as the requester sees it: who, why, the clause, and that the work is theirs again. */
function DeclinedNotice(props: {
  request: RequestSummary;
  act: Act;
  sending: boolean;
  canAcknowledge: boolean;
}) {
  const { request } = props;
  return (
    <WarningCallout heading={r.requester.declinedHeading(request.ownerName)}>
      {request.declineClause !== undefined && <p>{r.requester.declinedCiting(request.declineClause)}</p>}
      {request.declineReason !== undefined && <p>{request.declineReason}</p>}
      <p>{r.requester.declinedBack}</p>
      {request.declineAcknowledged !== undefined && (
        <p>{r.requester.acknowledged(formatDateTime(request.declineAcknowledged))}</p>
      )}
      {props.canAcknowledge && (
        <button
          className="nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0"
          type="button"
          disabled={props.sending}
          onClick={() => void props.act('acknowledge-decline')}
        >
          {r.requester.acknowledge}
        </button>
      )}
    </WarningCallout>
  );
}

function Respond(props: {
  view: RequestView;
  act: Act;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
  sending: boolean;
  allowed: ReadonlySet<RequestAction>;
}) {
  const { request } = props.view;
  const clause = request.responsibility.placesOnRequester ? request.responsibility.clause : undefined;
  const [choice, setChoice] = useState<'cite' | 'reason'>(clause === undefined ? 'reason' : 'cite');
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const citing = clause !== undefined && choice === 'cite';
  const decline = (event: FormEvent) => {
    event.preventDefault();
    const found = validateDecline(citing ? 'cite' : 'reason', citing ? note : reason);
    props.setErrors(found);
    if (found.length > 0) return;
    const detail: Decline = citing
      ? { citeRule: true, ...(note.trim() === '' ? {} : { note: note.trim() }) }
      : { citeRule: false, reason: reason.trim() };
    void props.act('decline', { decline: detail });
  };
  const reasonField = (
    <Textarea
      id="decline-reason"
      label={r.respond.reasonLabel}
      hint={r.respond.reasonHint}
      value={reason}
      onChange={setReason}
      error={errorFor(props.errors, 'decline-reason')}
    />
  );
  return (
    <section aria-labelledby="respond-heading">
      <h2 id="respond-heading">{r.respond.heading}</h2>
      <p className="nhsuk-body">{r.respond.lead}</p>
      {props.allowed.has('accept') && (
        <button
          className="nhsuk-button"
          type="button"
          disabled={props.sending}
          onClick={() => void props.act('accept')}
        >
          {r.respond.accept}
        </button>
      )}
      {props.allowed.has('decline') && (
        <form onSubmit={decline} noValidate>
          <h3>{r.respond.declineHeading}</h3>
          {clause === undefined ? (
            reasonField
          ) : (
            <>
              <Radios
                id="decline-choice"
                label={r.respond.citeOrReason}
                value={choice}
                onChange={(value) => setChoice(value === 'reason' ? 'reason' : 'cite')}
                options={[
                  {
                    value: 'cite',
                    label: r.respond.cite(clause),
                    hint: r.respond.citeHint(request.responsibility.explanation),
                  },
                  { value: 'reason', label: r.respond.otherReason },
                ]}
              />
              {citing ? (
                <Textarea
                  id="decline-note"
                  label={r.respond.noteLabel}
                  hint={r.respond.noteHint}
                  value={note}
                  onChange={setNote}
                  error={errorFor(props.errors, 'decline-note')}
                />
              ) : (
                reasonField
              )}
            </>
          )}
          <button className="nhsuk-button nhsuk-button--warning" type="submit" disabled={props.sending}>
            {citing ? r.respond.declineCiting(clause) : r.respond.decline}
          </button>
        </form>
      )}
    </section>
  );
}

function Progress(props: {
  request: RequestSummary;
  allowed: ReadonlySet<RequestAction>;
  act: Act;
  sending: boolean;
}) {
  return (
    <section aria-labelledby="progress-heading">
      <h2 id="progress-heading">{r.respond.progressHeading}</h2>
      <p className="nhsuk-body">{r.respond.progressLead}</p>
      <div className="nhsuk-button-group">
        {props.allowed.has('start') && (
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={props.sending}
            onClick={() => void props.act('start')}
          >
            {r.respond.start}
          </button>
        )}
        {props.allowed.has('complete') && (
          <button
            className="nhsuk-button"
            type="button"
            disabled={props.sending}
            onClick={() => void props.act('complete')}
          >
            {r.respond.complete}
          </button>
        )}
      </div>
    </section>
  );
}

function Cancel(props: {
  act: Act;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
  sending: boolean;
}) {
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateCancel(reason);
    props.setErrors(found);
    if (found.length > 0) return;
    void props.act('cancel', { reason: reason.trim() });
  };
  return (
    <section aria-labelledby="cancel-heading">
      <h2 id="cancel-heading">{r.requester.cancelHeading}</h2>
      <p className="nhsuk-body">{r.requester.cancelLead}</p>
      <form onSubmit={submit} noValidate>
        <Textarea
          id="cancel-reason"
          label={r.requester.cancelLabel}
          value={reason}
          onChange={setReason}
          error={errorFor(props.errors, 'cancel-reason')}
        />
        <button className="nhsuk-button nhsuk-button--secondary" type="submit" disabled={props.sending}>
          {r.requester.cancel}
        </button>
      </form>
    </section>
  );
}

function History({ request }: { request: RequestSummary }) {
  const rows = request.events.map((event, index) => ({
    key: `${index}:${event.at}`,
    cells: [
      formatDateTime(event.at),
      event.who,
      event.event === 'receive'
        ? r.request.receivedBy(event.who, formatDateTime(event.at))
        : event.from === event.to
          ? (r.request.eventNames[event.event] ?? event.event)
          : r.request.change(
              event.from === undefined ? undefined : statusWord(event.from),
              statusWord(event.to),
            ),
      r.request.eventWhy(event.reason, event.clause),
    ] as ReactNode[],
  }));
  return (
    <>
      <h2>{r.request.history}</h2>
      <Table caption={r.request.historyCaption} captionSize="s" head={r.request.historyColumns} rows={rows} />
    </>
  );
}
