import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import { Radios } from '../../components/fields';
import { Loaded, ProblemPanel, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink, Panel } from '../../components/ui';
import { exchange } from '../../fhir/exchange';
import { referenceId } from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { codedEntriesOf, type CodedEntry } from './document-model';
import { loadLetter, type LetterView } from './letter-data';

const fieldId = (index: number): string => `entry-${index}`;

export function FilePage() {
  const { documentId = '' } = useParams();
  const [load] = useLoad(() => loadLetter(documentId, true), documentId);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [written, setWritten] = useState<string[] | undefined>();
  const back = <BackLink to={`/inbox/${encodeURIComponent(documentId)}`}>{t.common.back}</BackLink>;
  if (written !== undefined && load.status === 'ready') {
    const patientId = referenceId(load.data.ledger.patient);
    return (
      <Page title={t.file.doneTitle}>
        <Panel title={t.file.doneTitle}>{t.file.doneBody(written.length)}</Panel>
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
            onFiled={setWritten}
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
  onFiled: (written: string[]) => void;
}) {
  const entries = codedEntriesOf(props.view.letter);
  const [choices, setChoices] = useState<string[]>(entries.map(() => ''));
  const [failure, setFailure] = useState<Error | undefined>();
  const [sending, setSending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const errors = entries.flatMap((entry, index) =>
      choices[index] === '' ? [{ field: fieldId(index), message: t.file.chooseError(entry.display) }] : [],
    );
    props.setErrors(errors);
    if (errors.length > 0) return;
    setSending(true);
    try {
      const declined = entries
        .filter((_entry, index) => choices[index] === 'decline')
        .map((entry) => entry.coding);
      props.onFiled(await exchange.file(props.documentId, declined));
    } catch (error) {
      setFailure(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setSending(false);
    }
  };
  return (
    <>
      <ErrorSummary errors={props.errors} />
      {failure && <ProblemPanel error={failure} />}
      <p className="nhsuk-lede-text">{props.view.ledger.title}</p>
      <p className="nhsuk-body">{entries.length > 0 ? t.file.lead : t.file.noEntries}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        {entries.map((entry: CodedEntry, index) => (
          <Radios
            key={`${entry.category}-${entry.coding.code ?? index}`}
            id={fieldId(index)}
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
            error={errorFor(props.errors, fieldId(index))}
            onChange={(value) =>
              setChoices(choices.map((choice, position) => (position === index ? value : choice)))
            }
            options={[
              { value: 'accept', label: t.file.accept },
              { value: 'decline', label: t.file.decline },
            ]}
          />
        ))}
        <button className="nhsuk-button" type="submit" disabled={sending}>
          {t.file.submit}
        </button>
      </form>
    </>
  );
}
