import type { AuditEvent, Bundle } from 'fhir/r4';
import { useState, type FormEvent } from 'react';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import {
  Checkboxes,
  DateInput,
  EMPTY_DATE,
  Select,
  TextInput,
  isoDate,
  type DateParts,
} from '../../components/fields';
import { ProblemPanel, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { Table } from '../../components/ui';
import { fhir, nextLink, resourcesOf } from '../../fhir/client';
import { formatDateTime } from '../../fhir/format';
import { t } from '../../strings/en-GB';

const USERNAME = /^[A-Za-z0-9._-]+$/;
const PATIENT_ID = /^[A-Za-z0-9.-]+$/;

function who(event: AuditEvent): string {
  const requestor = event.agent?.find((agent) => agent.requestor) ?? event.agent?.[0];
  return requestor?.who?.display ?? requestor?.who?.identifier?.value ?? '';
}

function what(event: AuditEvent): string {
  const subtype = event.subtype?.map((coding) => coding.code).join(' ') ?? '';
  const resource = event.entity?.find((entity) => entity.role?.code === '4')?.what?.reference ?? '';
  return [subtype, resource].filter(Boolean).join(' ');
}

function patients(event: AuditEvent): string {
  return (event.entity ?? [])
    .filter((entity) => entity.role?.code === '1')
    .map((entity) => entity.what?.reference ?? '')
    .join(', ');
}

export function AuditSearchPage() {
  const [patient, setPatient] = useState('');
  const [agent, setAgent] = useState('');
  const [outcome, setOutcome] = useState('');
  const [breakGlass, setBreakGlass] = useState<string[]>([]);
  const [from, setFrom] = useState<DateParts>(EMPTY_DATE);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [results, setResults] = useState<Bundle | undefined>();
  const { failure, setFailure, send } = useSending();
  const run = async (load: () => Promise<Bundle>) => {
    setFailure(undefined);
    await send(async () => setResults(await load()));
  };
  const search = (event: FormEvent) => {
    event.preventDefault();
    const found: FieldError[] = [];
    if (patient.trim() !== '' && !PATIENT_ID.test(patient.trim()))
      found.push({ field: 'patient', message: t.privacy.patientError });
    if (agent.trim() !== '' && !USERNAME.test(agent.trim()))
      found.push({ field: 'agent', message: t.privacy.agentError });
    const fromDate = isoDate(from);
    if ((from.day || from.month || from.year) && fromDate === undefined)
      found.push({ field: 'from', message: t.privacy.fromError });
    setErrors(found);
    if (found.length > 0) return;
    void run(() =>
      fhir.search<AuditEvent>('AuditEvent', {
        patient: patient.trim() || undefined,
        agent: agent.trim() || undefined,
        outcome: outcome || undefined,
        'break-glass': breakGlass.length > 0 ? 'true' : undefined,
        date: fromDate ? `ge${fromDate}` : undefined,
        _count: 25,
      }),
    );
  };
  const events = results ? resourcesOf<AuditEvent>(results, 'AuditEvent') : [];
  const next = results ? nextLink(results) : undefined;
  return (
    <Page title={t.privacy.auditTitle} hasErrors={errors.length > 0} wide>
      <ErrorSummary errors={errors} />
      <p className="nhsuk-body">{t.privacy.auditLead}</p>
      <form onSubmit={search} noValidate>
        <div className="cb-inline-form">
          <TextInput
            id="patient"
            label={t.privacy.patientLabel}
            hint={t.privacy.patientHint}
            value={patient}
            onChange={setPatient}
            width={10}
            error={errorFor(errors, 'patient')}
          />
          <TextInput
            id="agent"
            label={t.privacy.agentLabel}
            hint={t.privacy.agentHint}
            value={agent}
            onChange={setAgent}
            width={10}
            error={errorFor(errors, 'agent')}
          />
          <Select
            id="outcome"
            label={t.privacy.outcomeLabel}
            value={outcome}
            onChange={setOutcome}
            options={[
              { value: '', label: t.privacy.outcomeAny },
              ...Object.entries(t.privacy.auditOutcomes).map(([value, label]) => ({ value, label })),
            ]}
          />
        </div>
        <DateInput
          id="from"
          label={t.privacy.fromLabel}
          value={from}
          onChange={setFrom}
          error={errorFor(errors, 'from')}
        />
        <Checkboxes
          id="break-glass"
          label={t.privacy.breakGlassOnly}
          small
          values={breakGlass}
          onChange={setBreakGlass}
          options={[{ value: 'true', label: t.privacy.breakGlassOnly }]}
        />
        <button className="nhsuk-button" type="submit">
          {t.privacy.search}
        </button>
      </form>
      {failure && <ProblemPanel error={failure} />}
      {results !== undefined &&
        (events.length === 0 ? (
          <p className="nhsuk-body">{t.privacy.noResults}</p>
        ) : (
          <>
            <Table
              caption={t.privacy.resultsCaption}
              head={t.privacy.resultsColumns}
              rows={events.map((event) => ({
                key: event.id ?? '',
                cells: [
                  formatDateTime(event.recorded),
                  who(event),
                  event.action ?? '',
                  what(event),
                  patients(event),
                  event.outcomeDesc ?? event.outcome ?? '',
                ],
              }))}
            />
            {next !== undefined && (
              <button
                className="nhsuk-button nhsuk-button--secondary"
                type="button"
                onClick={() => void run(() => fhir.page(next))}
              >
                {t.common.nextPage}
              </button>
            )}
          </>
        ))}
    </Page>
  );
}
