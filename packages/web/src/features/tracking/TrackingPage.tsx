import type { Organization, Patient } from 'fhir/r4';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { Loaded, ProblemPanel, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink, InsetText, Panel, StateTag, SummaryList, Table, Tag } from '../../components/ui';
import type { RejectionReason } from '../../domain';
import { fhir } from '../../fhir/client';
import { exchange, type Ledger, type LedgerRecipient, type LedgerStep } from '../../fhir/exchange';
import { displayName, formatDate, formatDateTime, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import { t } from '../../strings/en-GB';

interface Tracking {
  ledger: Ledger;
  patient?: Patient;
  organisations: Map<string, string>;
}

async function loadTracking(documentId: string): Promise<Tracking> {
  const ledger = await exchange.ledger(documentId);
  const references = [...new Set(ledger.recipients.flatMap((row) => row.organization ?? []))];
  const [patient, ...organisations] = await Promise.all([
    ledger.patient === undefined ? undefined : fhir.read<Patient>(ledger.patient).catch(() => undefined),
    ...references.map((reference) => fhir.read<Organization>(reference).catch(() => undefined)),
  ]);
  const names = new Map<string, string>();
  references.forEach((reference, index) => names.set(reference, organisations[index]?.name ?? reference));
  return { ledger, ...(patient === undefined ? {} : { patient }), organisations: names };
}

/** A document waiting for a consultant (the exchange's status; `preliminary` is the FHIR one). */
const awaitingAuthorisation = (status: string): boolean =>
  status === 'awaiting-authorisation' || status === 'preliminary';

/**
 * A date sent without a time counts from the end of that London day (docs/exchange-documents.md),
 * so the ledger holds midnight after it; the day itself is what the clinician entered.
 */
function eventDate(eventAt: string | undefined): string {
  if (eventAt === undefined) return '';
  const instant = new Date(eventAt);
  const midnight = formatDateTime(eventAt).endsWith('00:00');
  return midnight ? formatDate(new Date(instant.getTime() - 1).toISOString()) : formatDateTime(eventAt);
}

/** The steps a letter goes through, in order; rejection and withdrawal end it early. */
const STEPS: readonly LedgerStep[] = ['authorised', 'queued', 'delivered', 'opened', 'filed'];

export function TrackingPage() {
  const { documentId = '' } = useParams();
  const user = useSignedInUser();
  const [load, reload] = useLoad(() => loadTracking(documentId), documentId);
  const [authorised, setAuthorised] = useState(false);
  const [failure, setFailure] = useState<Error | undefined>();
  const authorise = async () => {
    try {
      await exchange.authorise(documentId);
      setAuthorised(true);
      reload();
    } catch (error) {
      setFailure(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const title = load.status === 'ready' ? load.data.ledger.title : t.tracking.title;
  return (
    <Page
      title={title}
      caption={t.tracking.title}
      before={<BackLink to="/letters">{t.tracking.lettersTitle}</BackLink>}
      wide
    >
      {authorised && <Panel title={t.tracking.authorised} />}
      {failure && <ProblemPanel error={failure} />}
      <Loaded load={load}>
        {({ ledger, patient, organisations }) => (
          <>
            <SummaryList
              rows={[
                [
                  t.letter.patientBanner,
                  patient
                    ? `${displayName(patient.name)} (${formatNhsNumber(nhsNumberOf(patient))})`
                    : (ledger.patient ?? t.common.notKnown),
                ],
                [
                  t.tracking.status,
                  <StateTag
                    state={ledger.status === 'preliminary' ? 'awaiting-authorisation' : ledger.status}
                  />,
                ],
                [t.tracking.event, eventDate(ledger.eventAt)],
                [t.tracking.medicationChanges, ledger.hasMedicationChanges ? t.common.yes : t.common.no],
              ]}
            />
            {awaitingAuthorisation(ledger.status) && user.role === 'consultant' && (
              <button className="nhsuk-button" type="button" onClick={() => void authorise()}>
                {t.tracking.authorise}
              </button>
            )}
            <h2>{t.tracking.recipients}</h2>
            {ledger.recipients.map((row) => (
              <RecipientCard
                key={row.row}
                row={row}
                name={organisations.get(row.organization ?? '') ?? row.ods ?? row.recipientKind ?? ''}
              />
            ))}
            <p className="nhsuk-body">
              <Link to={`/letters/${encodeURIComponent(documentId)}/view`}>{t.tracking.viewLetter}</Link>
            </p>
          </>
        )}
      </Loaded>
    </Page>
  );
}

function RecipientCard({ row, name }: { row: LedgerRecipient; name: string }) {
  const reason = row.rejectionReason as RejectionReason | undefined;
  const ended = row.times.rejected ?? row.times.withdrawn ?? row.times.superseded;
  return (
    <div className="nhsuk-card">
      <div className="nhsuk-card__content">
        <h3 className="nhsuk-card__heading">{t.tracking.recipientHeading(name)}</h3>
        <p className="nhsuk-body">
          <StateTag state={row.state} />{' '}
          {row.delayedDays > 0 && <Tag colour="orange">{t.tracking.delayed(row.delayedDays)}</Tag>}
        </p>
        {reason !== undefined && (
          <InsetText>
            {t.tracking.rejection(t.rejectionReasons[reason] ?? reason, row.rejectionDetail)}
          </InsetText>
        )}
        <h4>{t.tracking.timeline}</h4>
        <SummaryList
          rows={[
            ...STEPS.filter((step) => ended === undefined || row.times[step] !== undefined).map(
              (step) =>
                [
                  t.tracking.steps[step] ?? step,
                  row.times[step] ? formatDateTime(row.times[step]) : t.tracking.notYet,
                ] as const,
            ),
            ...(['rejected', 'superseded', 'withdrawn'] as const)
              .filter((step) => row.times[step] !== undefined)
              .map((step) => [t.tracking.steps[step] ?? step, formatDateTime(row.times[step])] as const),
          ]}
        />
        {row.events.length > 0 && (
          <Table
            caption={t.tracking.history}
            captionSize="s"
            head={t.tracking.historyColumns}
            rows={row.events.map((event, index) => ({
              key: `${event.at ?? ''}-${index}`,
              cells: [
                formatDateTime(event.at),
                `${event.from ? `${t.states[event.from as keyof typeof t.states] ?? event.from} → ` : ''}${t.states[event.to as keyof typeof t.states] ?? event.to ?? ''}`,
                event.who ?? '',
              ],
            }))}
          />
        )}
      </div>
    </div>
  );
}
