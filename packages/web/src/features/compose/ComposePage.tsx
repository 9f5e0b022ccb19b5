import type { Organization } from 'fhir/r4';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import type { User } from '../../auth/claims';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import {
  DateInput,
  EMPTY_DATE,
  Radios,
  Select,
  Textarea,
  TextInput,
  dateParts,
  isoDate,
  useFormFields,
} from '../../components/fields';
import { ProblemPanel, useLoad, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { InsetText, Panel } from '../../components/ui';
import { FhirError, fhir } from '../../fhir/client';
import { loadInpatients, type Inpatient } from '../../fhir/inpatients';
import { exchange, type SubmitOutcome } from '../../fhir/exchange';
import { displayName, formatDate, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import type { SectionDefinition } from '../../domain';
import {
  COMPOSABLE_KINDS,
  buildDocument,
  isAutoSection,
  sectionsOf,
  type ComposableKind,
} from './build-document';
import { sectionFieldId, validateLetter, type ComposeForm } from './compose-form';
import { ConceptPicker, MedicinePicker } from './Pickers';

/** The headings whose coded entries the pickers fill (other coded headings take text here). */
const DIAGNOSES = '887161000000102';
const ALLERGIES = '886921000000105';
const MEDICATIONS = '933361000000108';

/** Required headings and the coded pickers come first; the rest wait behind "More headings". */
const shownFirst = (section: SectionDefinition): boolean =>
  section.conformance !== 'optional' || [DIAGNOSES, ALLERGIES, MEDICATIONS].includes(section.code);

/** Patients with an open encounter here: the hospital's own relationship with them. */
async function loadInpatientsHere(user: User): Promise<{ inpatients: Inpatient[]; organisation: string }> {
  if (user.organizationId === undefined) return { inpatients: [], organisation: '' };
  const [inpatients, organisation] = await Promise.all([
    loadInpatients(user.organizationId),
    fhir.read<Organization>(`Organization/${user.organizationId}`),
  ]);
  return { inpatients, organisation: organisation.name ?? '' };
}

const EMPTY_FORM: ComposeForm = {
  kind: '',
  nhsNumber: '',
  given: '',
  family: '',
  birthDate: EMPTY_DATE,
  admitted: EMPTY_DATE,
  discharged: EMPTY_DATE,
  attended: EMPTY_DATE,
  text: {},
  diagnoses: [],
  allergies: [],
  medicines: [],
};

export function ComposePage() {
  const user = useSignedInUser();
  const [context] = useLoad(() => loadInpatientsHere(user), user.username);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { form, setForm, update, bind } = useFormFields<ComposeForm>(EMPTY_FORM, errors);
  const [practice, setPractice] = useState<string | undefined>();
  const [chosen, setChosen] = useState('');
  const { sending, failure, setFailure, send } = useSending();
  const [outcome, setOutcome] = useState<SubmitOutcome | undefined>();
  const authoriser = user.role === 'consultant';
  const inpatients = context.status === 'ready' ? context.data.inpatients : [];

  if (outcome !== undefined) {
    const title =
      outcome.outcome === 'held'
        ? t.compose.heldTitle
        : outcome.status === 'final'
          ? t.compose.sentTitle
          : t.compose.draftTitle;
    return (
      <Page title={title}>
        <Panel title={title}>{outcome.outcome === 'held' ? t.compose.heldBody : undefined}</Panel>
        <p className="nhsuk-body">
          <Link to={`/letters/${encodeURIComponent(outcome.document)}`}>{t.compose.trackIt}</Link>
        </p>
      </Page>
    );
  }

  const choosePatient = (id: string) => {
    setChosen(id);
    const found = inpatients.find((inpatient) => inpatient.patient.id === id);
    if (found === undefined) return;
    const name = found.patient.name?.[0];
    setPractice(found.patient.generalPractitioner?.[0]?.display);
    setForm((current) => ({
      ...current,
      nhsNumber: nhsNumberOf(found.patient) ?? '',
      given: name?.given?.join(' ') ?? '',
      family: name?.family ?? '',
      birthDate: dateParts(found.patient.birthDate),
      admitted: found.admitted ? dateParts(found.admitted) : current.admitted,
    }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateLetter(form);
    setErrors(found);
    setFailure(undefined);
    if (found.length > 0) return;
    const kind = form.kind as ComposableKind;
    const organisation = context.status === 'ready' ? context.data.organisation : '';
    const patientName = `${form.given.trim()} ${form.family.trim()}`;
    const nhs = form.nhsNumber.replace(/\s/g, '');
    const birthDate = isoDate(form.birthDate) ?? '';
    const bundle = buildDocument(
      {
        kind,
        status: authoriser ? 'final' : 'preliminary',
        uuid: crypto.randomUUID(),
        patient: { nhsNumber: nhs, given: form.given.trim(), family: form.family.trim(), birthDate },
        ...(kind === 'inpatient-discharge'
          ? { admitted: isoDate(form.admitted) ?? '', discharged: isoDate(form.discharged) ?? '' }
          : { attended: isoDate(form.attended) ?? '' }),
        text: form.text,
        diagnoses: form.diagnoses,
        allergies: form.allergies,
        medicines: form.medicines,
        author: { name: user.name },
        organisation: { odsCode: user.odsCode ?? '', name: organisation },
        now: new Date(),
      },
      {
        patientDemographics: t.compose.patientText(patientName, formatNhsNumber(nhs), formatDate(birthDate)),
        gpPractice: practice ? t.compose.gpText(practice) : t.compose.gpUnknown,
        personCompletingRecord: t.compose.personCompleting(user.name, organisation),
        changeLabels: t.compose.medicationChanges,
      },
    );
    await send(async () => setOutcome(await exchange.submit(bundle)));
  };

  const renderSection = (section: SectionDefinition) => {
    if (isAutoSection(section)) {
      return (
        <InsetText key={section.code}>
          <strong>{section.title}</strong>: {t.compose.autoFilled}
        </InsetText>
      );
    }
    const textArea = (
      <Textarea
        id={sectionFieldId(section.code)}
        label={section.title}
        hint={t.compose.sectionHint[section.conformance]}
        value={form.text[section.code] ?? ''}
        onChange={(value) => update('text', { ...form.text, [section.code]: value })}
        error={errorFor(errors, sectionFieldId(section.code))}
      />
    );
    if (section.code === DIAGNOSES) {
      return (
        <div key={section.code}>
          {textArea}
          <ConceptPicker
            id="diagnosis-pick"
            vocabulary="diagnoses"
            label={t.compose.diagnosesLabel}
            hint={t.compose.diagnosesHint}
            picked={form.diagnoses}
            onChange={(value) => update('diagnoses', value)}
            error={errorFor(errors, 'diagnosis-pick')}
          />
        </div>
      );
    }
    if (section.code === ALLERGIES) {
      return (
        <div key={section.code}>
          {textArea}
          <ConceptPicker
            id="allergy-pick"
            vocabulary="allergies"
            label={t.compose.allergiesLabel}
            hint={t.compose.allergiesHint}
            picked={form.allergies}
            onChange={(value) => update('allergies', value)}
            error={errorFor(errors, 'allergy-pick')}
          />
        </div>
      );
    }
    if (section.code === MEDICATIONS) {
      return (
        <div key={section.code}>
          {textArea}
          <MedicinePicker picked={form.medicines} onChange={(value) => update('medicines', value)} />
        </div>
      );
    }
    return <div key={section.code}>{textArea}</div>;
  };

  const kind = (COMPOSABLE_KINDS as readonly string[]).includes(form.kind)
    ? (form.kind as ComposableKind)
    : undefined;
  return (
    <Page title={t.compose.title} hasErrors={errors.length > 0 || failure !== undefined}>
      <ErrorSummary errors={errors} />
      {failure &&
        (failure instanceof FhirError && failure.status === 422 ? (
          <ServerProblems error={failure} />
        ) : (
          <ProblemPanel error={failure} />
        ))}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Radios
          {...bind('kind')}
          label={t.compose.kindLegend}
          legendSize="m"
          options={COMPOSABLE_KINDS.map((value) => ({ value, label: t.compose.kinds[value] ?? value }))}
        />
        <h2>{t.compose.patientHeading}</h2>
        {inpatients.length > 0 && (
          <Select
            id="inpatient"
            label={t.compose.inpatientLabel}
            hint={t.compose.inpatientHint}
            value={chosen}
            onChange={choosePatient}
            options={[
              { value: '', label: t.compose.inpatientNone },
              ...inpatients.map(({ patient }) => ({
                value: patient.id ?? '',
                label: `${displayName(patient.name)} (${formatNhsNumber(nhsNumberOf(patient))})`,
              })),
            ]}
          />
        )}
        <TextInput
          {...bind('nhsNumber', 'nhs-number')}
          label={t.compose.nhsNumber}
          hint={t.compose.nhsNumberHint}
          width={10}
          inputMode="numeric"
        />
        <TextInput {...bind('given')} label={t.compose.givenName} width={20} />
        <TextInput {...bind('family')} label={t.compose.familyName} width={20} />
        <DateInput
          {...bind('birthDate', 'birth-date')}
          label={t.compose.dateOfBirth}
          hint={t.compose.dateOfBirthHint}
        />
        {kind === 'inpatient-discharge' && (
          <>
            <h2>{t.compose.eventHeading}</h2>
            <DateInput {...bind('admitted')} label={t.compose.admitted} />
            <DateInput {...bind('discharged')} label={t.compose.discharged} />
          </>
        )}
        {kind === 'outpatient-letter' && <DateInput {...bind('attended')} label={t.compose.attended} />}
        {kind !== undefined && (
          <>
            <h2>{t.compose.sectionsHeading}</h2>
            {sectionsOf(kind).filter(shownFirst).map(renderSection)}
            <details className="nhsuk-details">
              <summary className="nhsuk-details__summary">
                <span className="nhsuk-details__summary-text">{t.compose.optionalHeadings}</span>
              </summary>
              <div className="nhsuk-details__text">
                {sectionsOf(kind)
                  .filter((section) => !shownFirst(section))
                  .map(renderSection)}
              </div>
            </details>
          </>
        )}
        <InsetText>{authoriser ? t.compose.authoriserHint : t.compose.secretaryHint}</InsetText>
        <button className="nhsuk-button" type="submit" disabled={sending}>
          {authoriser ? t.compose.authoriseButton : t.compose.submitButton}
        </button>
      </form>
    </Page>
  );
}

function ServerProblems({ error }: { error: FhirError }) {
  return (
    <div className="nhsuk-error-summary" role="alert" aria-labelledby="server-problems-title">
      <h2 className="nhsuk-error-summary__title" id="server-problems-title">
        {t.compose.serverRejected}
      </h2>
      <div className="nhsuk-error-summary__body">
        <ul className="nhsuk-list">
          {error.issues.map((issue) => (
            <li key={issue}>{issue}</li>
          ))}
        </ul>
      </div>
    </div>
  );
}
