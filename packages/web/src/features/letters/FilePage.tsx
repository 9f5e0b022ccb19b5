import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import { Radios } from '../../components/fields';
import { Loaded, ProblemPanel, useLoad, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink, Panel } from '../../components/ui';
import { exchange } from '../../fhir/exchange';
import { referenceId } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { terminologyText } from '../../strings/terminology.en-GB';
import { ConceptSearch } from '../compose/ConceptSearch';
import type { Concept } from '../compose/terminology';
import { codedEntriesOf, type CodedEntry } from './document-model';
import {
  AMENDABLE,
  amendFieldId,
  amendParameters,
  choiceFieldId,
  planFiling,
  type Amendment,
  type FilingChoice,
} from './filing';
import { loadLetter, type LetterView } from './letter-data';

interface Filed {
  written: string[];
  amended: Amendment[];
}

export function FilePage() {
  const { documentId = '' } = useParams();
  const [load] = useLoad(() => loadLetter(documentId, true), documentId);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [filed, setFiled] = useState<Filed | undefined>();
  const back = <BackLink to={`/inbox/${encodeURIComponent(documentId)}`}>{t.common.back}</BackLink>;
  if (filed !== undefined && load.status === 'ready') {
    const patientId = referenceId(load.data.ledger.patient);
    return (
      <Page title={t.file.doneTitle}>
        <Panel title={t.file.doneTitle}>{t.file.doneBody(filed.written.length)}</Panel>
        {filed.amended.length > 0 && (
          <>
            <h2 className="nhsuk-heading-m">{terminologyText.amendedTitle}</h2>
            <ul className="nhsuk-list nhsuk-list--bullet">
              {filed.amended.map(({ entry, replacement }) => (
                <li key={`${entry.coding.system ?? ''}|${entry.coding.code ?? ''}`}>
                  {terminologyText.amendedItem(entry.display, replacement.display)}
                </li>
              ))}
            </ul>
          </>
        )}
        <ul className="nhsuk-list">
          <li>
            <Link to="/inbox">{t.letter.backToInbox}</Link>
          </li>
          {patientId !== undefined && (
            <li>
              <Link to={`/patients/${patientId}`}>{t.letter.viewPatient}</Link>
            </li>
          )}
        </ul>
      </Page>
    );
  }
  return (
    <Page title={t.file.title} hasErrors={errors.length > 0} before={back}>
      <Loaded load={load}>
        {(view) => (
          <FileForm
            view={view}
            documentId={documentId}
            errors={errors}
            setErrors={setErrors}
            onFiled={setFiled}
          />
        )}
      </Loaded>
    </Page>
  );
}

function FileForm(props: {
  view: LetterView;
  documentId: string;
  errors: FieldError[];
  setErrors: (errors: FieldError[]) => void;
  onFiled: (filed: Filed) => void;
}) {
  const entries = codedEntriesOf(props.view.letter);
  const [choices, setChoices] = useState<FilingChoice[]>(entries.map(() => ''));
  const [replacements, setReplacements] = useState<Array<Concept | undefined>>(entries.map(() => undefined));
  const { sending, failure, send } = useSending();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const plan = planFiling(entries, choices, replacements);
    props.setErrors(plan.ok ? [] : plan.errors);
    if (!plan.ok) return;
    await send(async () => {
      const written = await exchange.file(props.documentId, plan.declined, amendParameters(plan.amended));
      props.onFiled({ written, amended: plan.amended });
    });
  };
  return (
    <>
      <ErrorSummary errors={props.errors} />
      {failure && <ProblemPanel error={failure} />}
      <p className="nhsuk-lede-text">{props.view.ledger.title}</p>
      <p className="nhsuk-body">{entries.length > 0 ? t.file.lead : t.file.noEntries}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        {entries.map((entry: CodedEntry, index) => {
          const kind = AMENDABLE[entry.category];
          return (
            <div key={`${entry.category}-${entry.coding.code ?? index}`}>
              <Radios
                id={choiceFieldId(index)}
                label={`${t.file.categories[entry.category] ?? ''}: ${entry.display}`}
                hint={
                  entry.detail === undefined
                    ? undefined
                    : entry.category === 'medication'
                      ? t.letter.change(t.compose.medicationChanges[entry.detail] ?? entry.detail)
                      : entry.detail
                }
                inline
                value={choices[index] ?? ''}
                error={errorFor(props.errors, choiceFieldId(index))}
                onChange={(value) =>
                  // From the latest choices, not this render's: choices made in quick succession
                  // (keyboard, several entries) must all be kept.
                  setChoices((latest) =>
                    latest.map((choice, position) => (position === index ? (value as FilingChoice) : choice)),
                  )
                }
                options={[
                  { value: 'accept', label: t.file.accept },
                  ...(kind === undefined ? [] : [{ value: 'amend', label: terminologyText.amend }]),
                  { value: 'decline', label: t.file.decline },
                ]}
              />
              {kind !== undefined && choices[index] === 'amend' && (
                <div className="nhsuk-inset-text">
                  <ConceptSearch
                    id={amendFieldId(index)}
                    kind={kind}
                    label={terminologyText.amendLabel(entry.display)}
                    chosen={replacements[index]}
                    onChoose={(concept) =>
                      setReplacements((latest) =>
                        latest.map((current, position) => (position === index ? concept : current)),
                      )
                    }
                    exclude={entry.coding.code === undefined ? [] : [entry.coding.code]}
                    error={errorFor(props.errors, amendFieldId(index))}
                  />
                </div>
              )}
            </div>
          );
        })}
        <button className="nhsuk-button" type="submit" disabled={sending}>
          {t.file.submit}
        </button>
      </form>
    </>
  );
}
