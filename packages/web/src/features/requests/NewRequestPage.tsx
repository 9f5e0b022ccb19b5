import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { ErrorSummary, type FieldError } from '../../components/ErrorSummary';
import {
  Checkboxes,
  DateInput,
  EMPTY_DATE,
  Radios,
  Select,
  Textarea,
  TextInput,
  isoDate,
  useFormFields,
} from '../../components/fields';
import { Loaded, ProblemPanel, asError, useLoad, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { InsetText, Panel, WarningCallout } from '../../components/ui';
import {
  CARE_CONTEXTS,
  REQUEST_CATEGORY_CODES,
  REQUEST_CIRCUMSTANCES,
  londonDate,
  type CareContext,
  type RequestCircumstance,
} from '../../domain';
import { displayName, formatDate, formatNhsNumber, nhsNumberOf } from '../../fhir/format';
import { requests, type CreateOutcome } from '../../fhir/requests';
import { r } from '../../strings/requests.en-GB';
import {
  isCategory,
  loadOwnerChoices,
  loadPatientChoices,
  validateNewRequest,
  type NewRequestForm,
  type OwnerChoice,
  type PatientChoice,
} from './request-data';

const EMPTY_FORM: NewRequestForm = {
  patient: '',
  owner: '',
  category: '',
  circumstances: [],
  careContext: '',
  specialty: '',
  priority: 'routine',
  reason: '',
  due: EMPTY_DATE,
};

/** A clinician asks another organisation caring for their patient to do something. */
export function NewRequestPage() {
  const user = useSignedInUser();
  const [patients] = useLoad(() => loadPatientChoices(user), user.username);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { form, setForm, update, bind } = useFormFields<NewRequestForm>(EMPTY_FORM, errors);
  const [owners, setOwners] = useState<OwnerChoice[] | undefined>();
  const { sending, failure, setFailure, send } = useSending();
  const [created, setCreated] = useState<CreateOutcome | undefined>();

  if (created !== undefined) {
    return (
      <Confirmation
        created={created}
        onAnother={() => {
          setCreated(undefined);
          setForm(EMPTY_FORM);
          setOwners(undefined);
        }}
      />
    );
  }

  const choosePatient = (id: string, choices: readonly PatientChoice[]) => {
    setForm((current) => ({ ...current, patient: id, owner: '' }));
    setOwners(undefined);
    const choice = choices.find((candidate) => candidate.patient.id === id);
    if (choice === undefined) return;
    loadOwnerChoices(choice, user).then(
      (found) => {
        setOwners(found);
        // One organisation to ask: choose it, so the form asks nothing it need not.
        if (found.length === 1) setForm((current) => ({ ...current, owner: found[0]?.reference ?? '' }));
      },
      (error: unknown) => setFailure(asError(error)),
    );
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateNewRequest(form, londonDate(new Date()));
    setErrors(found);
    setFailure(undefined);
    if (found.length > 0 || !isCategory(form.category)) return;
    const category = form.category;
    await send(async () => {
      const due = isoDate(form.due);
      setCreated(
        await requests.create({
          patient: `Patient/${form.patient}`,
          owner: form.owner,
          category,
          reason: form.reason.trim(),
          priority: form.priority,
          circumstances: form.circumstances as RequestCircumstance[],
          ...(form.careContext === '' ? {} : { careContext: form.careContext as CareContext }),
          ...(form.specialty.trim() === '' ? {} : { specialty: form.specialty.trim() }),
          ...(due === undefined ? {} : { due }),
        }),
      );
    });
  };

  return (
    <Page title={r.create.title} hasErrors={errors.length > 0}>
      <ErrorSummary errors={errors} />
      {failure && <ProblemPanel error={failure} />}
      <p className="nhsuk-body">{r.create.lead}</p>
      <Loaded load={patients}>
        {(choices) =>
          choices.length === 0 ? (
            <p className="nhsuk-body">{r.create.noPatients}</p>
          ) : (
            <form onSubmit={(event) => void submit(event)} noValidate>
              <Select
                {...bind('patient')}
                label={r.create.patientLabel}
                hint={r.create.patientHint}
                onChange={(id) => choosePatient(id, choices)}
                options={[
                  { value: '', label: r.create.choosePatient },
                  ...choices.map(({ patient }) => ({
                    value: patient.id ?? '',
                    label: r.create.patientOption(
                      displayName(patient.name),
                      formatNhsNumber(nhsNumberOf(patient)),
                      formatDate(patient.birthDate),
                    ),
                  })),
                ]}
              />
              <Select
                {...bind('owner')}
                label={r.create.ownerLabel}
                hint={r.create.ownerHint}
                options={[
                  { value: '', label: owners === undefined ? r.create.ownerFirst : r.create.chooseOwner },
                  ...(owners ?? []).map((owner) => ({ value: owner.reference, label: owner.label })),
                ]}
              />
              <Radios
                {...bind('category')}
                label={r.create.categoryLabel}
                legendSize="m"
                options={REQUEST_CATEGORY_CODES.map((code) => ({ value: code, label: r.categories[code] }))}
              />
              <Checkboxes
                id="circumstances"
                label={r.create.circumstancesLabel}
                hint={r.create.circumstancesHint}
                small
                values={form.circumstances}
                onChange={(values) => update('circumstances', values)}
                options={REQUEST_CIRCUMSTANCES.map((code) => ({ value: code, label: r.circumstances[code] }))}
              />
              <Select
                {...bind('careContext', 'care-context')}
                label={r.create.careContextLabel}
                options={[
                  { value: '', label: r.create.careContextNone },
                  ...CARE_CONTEXTS.map((code) => ({ value: code, label: r.careContexts[code] })),
                ]}
              />
              <TextInput
                {...bind('specialty')}
                label={r.create.specialtyLabel}
                hint={r.create.specialtyHint}
                width={20}
              />
              <Radios
                id="priority"
                label={r.create.priorityLabel}
                inline
                value={form.priority}
                onChange={(value) => update('priority', value === 'urgent' ? 'urgent' : 'routine')}
                options={[
                  { value: 'routine', label: r.priorities.routine ?? 'routine' },
                  { value: 'urgent', label: r.priorities.urgent ?? 'urgent' },
                ]}
              />
              <Textarea
                {...bind('reason')}
                label={r.create.reasonLabel}
                hint={r.create.reasonHint}
                rows={4}
              />
              <DateInput {...bind('due')} label={r.create.dueLabel} hint={r.create.dueHint} />
              <button className="nhsuk-button" type="submit" disabled={sending}>
                {r.create.submit}
              </button>
            </form>
          )
        }
      </Loaded>
    </Page>
  );
}

/** What was sent, and plainly whether the contract places the work back on the requester. */
function Confirmation({ created, onAnother }: { created: CreateOutcome; onAnother: () => void }) {
  const { request, responsibility } = created;
  const title = r.create.sentTitle(request.ownerName);
  return (
    <Page title={title}>
      <Panel title={title} />
      {created.flagged ? (
        <WarningCallout heading={r.create.flaggedHeading}>
          <p>{responsibility.explanation}</p>
          <p>{r.create.flaggedBody(request.ownerName, responsibility.clause ?? '')}</p>
        </WarningCallout>
      ) : (
        <InsetText>
          <p>
            {responsibility.responsible === 'owner-by-agreement'
              ? responsibility.explanation
              : r.create.notFlagged}
          </p>
        </InsetText>
      )}
      <ul className="nhsuk-list">
        <li>
          <Link to={`/requests/${encodeURIComponent(request.id)}`}>{r.create.viewRequest}</Link>
        </li>
        <li>
          <Link to="/requests/sent">{r.create.trackRequests}</Link>
        </li>
        <li>
          <Link
            to="/requests/new"
            onClick={(event) => {
              event.preventDefault();
              onAnother();
            }}
          >
            {r.create.another}
          </Link>
        </li>
      </ul>
    </Page>
  );
}
