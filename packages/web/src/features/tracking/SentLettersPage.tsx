import type { DocumentReference, Patient } from 'fhir/r4';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { TextInput } from '../../components/fields';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { Table, Tag } from '../../components/ui';
import { fhir, resourcesOf } from '../../fhir/client';
import { displayName, formatDateTime } from '../../fhir/format';
import { t } from '../../strings/en-GB';

async function loadSent(organizationId: string | undefined) {
  if (organizationId === undefined) return { references: [], patients: new Map<string, Patient>() };
  const bundle = await fhir.search<DocumentReference | Patient>('DocumentReference', {
    custodian: `Organization/${organizationId}`,
    _sort: '-date',
    _include: 'DocumentReference:subject',
    _count: 25,
  });
  const patients = new Map(
    resourcesOf<Patient>(bundle, 'Patient').map((patient) => [`Patient/${patient.id ?? ''}`, patient]),
  );
  return { references: resourcesOf<DocumentReference>(bundle, 'DocumentReference'), patients };
}

export function SentLettersPage() {
  const user = useSignedInUser();
  const navigate = useNavigate();
  const [load] = useLoad(() => loadSent(user.organizationId), user.username);
  const [documentId, setDocumentId] = useState('');
  const find = (event: FormEvent) => {
    event.preventDefault();
    if (documentId.trim() !== '') navigate(`/letters/${encodeURIComponent(documentId.trim())}`);
  };
  return (
    <Page title={t.tracking.lettersTitle} wide>
      <p className="nhsuk-body">
        <Link className="nhsuk-action-link__link" to="/letters/new">
          {t.nav.compose}
        </Link>
      </p>
      <form className="cb-inline-form" onSubmit={find} noValidate>
        <TextInput
          id="find-document"
          label={t.tracking.findLabel}
          value={documentId}
          onChange={setDocumentId}
          width={30}
        />
        <button className="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">
          {t.tracking.find}
        </button>
      </form>
      <Loaded load={load}>
        {({ references, patients }) =>
          references.length === 0 ? (
            <p className="nhsuk-body">{t.tracking.none}</p>
          ) : (
            <Table
              caption={t.tracking.lettersCaption}
              head={t.tracking.columns}
              rows={references.map((reference) => {
                const documentId = reference.masterIdentifier?.value ?? '';
                const patient = patients.get(reference.subject?.reference ?? '');
                return {
                  key: reference.id ?? documentId,
                  cells: [
                    patient ? displayName(patient.name) : '',
                    <Link to={`/letters/${encodeURIComponent(documentId)}`}>
                      {reference.description ?? documentId}
                    </Link>,
                    formatDateTime(reference.date),
                    reference.docStatus === 'preliminary' ? (
                      <Tag colour="yellow">{t.states['awaiting-authorisation']}</Tag>
                    ) : (
                      <Tag colour="blue">{t.states.final}</Tag>
                    ),
                  ],
                };
              })}
            />
          )
        }
      </Loaded>
    </Page>
  );
}
