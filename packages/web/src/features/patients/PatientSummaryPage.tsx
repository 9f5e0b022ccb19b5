import type { AllergyIntolerance, Condition, DocumentReference, MedicationStatement, Patient } from 'fhir/r4';
import { useParams } from 'react-router';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { SummaryList, Table } from '../../components/ui';
import { fhir, resourcesOf } from '../../fhir/client';
import {
  conceptText,
  displayName,
  formatDate,
  formatDateTime,
  formatNhsNumber,
  nhsNumberOf,
} from '../../fhir/format';
import { t } from '../../strings/en-GB';
import { Link } from 'react-router';

interface PatientSummary {
  patient: Patient;
  conditions: Condition[];
  medications: MedicationStatement[];
  allergies: AllergyIntolerance[];
  letters: DocumentReference[];
}

async function loadSummary(id: string): Promise<PatientSummary> {
  const [patient, conditions, medications, allergies, letters] = await Promise.all([
    fhir.read<Patient>(`Patient/${id}`),
    fhir.search<Condition>('Condition', { patient: id, _count: 100 }),
    fhir.search<MedicationStatement>('MedicationStatement', { subject: `Patient/${id}`, _count: 100 }),
    fhir.search<AllergyIntolerance>('AllergyIntolerance', { patient: id, _count: 100 }),
    fhir.search<DocumentReference>('DocumentReference', {
      subject: `Patient/${id}`,
      _sort: '-date',
      _count: 50,
    }),
  ]);
  return {
    patient,
    conditions: resourcesOf<Condition>(conditions, 'Condition'),
    medications: resourcesOf<MedicationStatement>(medications, 'MedicationStatement'),
    allergies: resourcesOf<AllergyIntolerance>(allergies, 'AllergyIntolerance'),
    letters: resourcesOf<DocumentReference>(letters, 'DocumentReference'),
  };
}

function List({ items }: { items: ReadonlyArray<{ key: string; text: string }> }) {
  if (items.length === 0) return <p className="nhsuk-body">{t.common.none}</p>;
  return (
    <ul className="nhsuk-list nhsuk-list--bullet">
      {items.map((item) => (
        <li key={item.key}>{item.text}</li>
      ))}
    </ul>
  );
}

export function PatientSummaryPage() {
  const { patientId = '' } = useParams();
  const [load] = useLoad(() => loadSummary(patientId), patientId);
  const title = load.status === 'ready' ? displayName(load.data.patient.name) : t.patient.caption;
  return (
    <Page title={title} caption={t.patient.caption} wide>
      <Loaded load={load}>
        {({ patient, conditions, medications, allergies, letters }) => {
          const address = patient.address?.[0];
          return (
            <>
              <h2>{t.patient.demographics}</h2>
              <SummaryList
                rows={[
                  [t.patient.name, displayName(patient.name)],
                  [t.patient.nhsNumber, formatNhsNumber(nhsNumberOf(patient))],
                  [t.patient.dateOfBirth, formatDate(patient.birthDate)],
                  [t.patient.gender, patient.gender ?? t.common.notKnown],
                  [
                    t.patient.address,
                    address
                      ? [...(address.line ?? []), address.city, address.postalCode].filter(Boolean).join(', ')
                      : t.common.notKnown,
                  ],
                  [
                    t.patient.practice,
                    patient.generalPractitioner?.map((gp) => gp.display ?? gp.reference).join(', ') ??
                      t.common.notKnown,
                  ],
                ]}
              />
              <h2>{t.patient.problems}</h2>
              <List
                items={conditions.map((condition) => ({
                  key: condition.id ?? conceptText(condition.code),
                  text: conceptText(condition.code),
                }))}
              />
              <h2>{t.patient.medications}</h2>
              <List
                items={medications.map((statement) => ({
                  key: statement.id ?? conceptText(statement.medicationCodeableConcept),
                  text: `${conceptText(statement.medicationCodeableConcept)} (${statement.status})`,
                }))}
              />
              <h2>{t.patient.allergies}</h2>
              <List
                items={allergies.map((allergy) => ({
                  key: allergy.id ?? conceptText(allergy.code),
                  text: conceptText(allergy.code),
                }))}
              />
              {letters.length === 0 ? (
                <>
                  <h2>{t.patient.letters}</h2>
                  <p className="nhsuk-body">{t.patient.noLetters}</p>
                </>
              ) : (
                <Table
                  caption={t.patient.letters}
                  head={[t.letter.date, t.letter.caption, t.patient.status]}
                  rows={letters.map((reference) => ({
                    key: reference.id ?? '',
                    cells: [
                      formatDateTime(reference.date),
                      reference.masterIdentifier?.value ? (
                        <Link to={`/inbox/${encodeURIComponent(reference.masterIdentifier.value)}`}>
                          {reference.description ?? ''}
                        </Link>
                      ) : (
                        (reference.description ?? '')
                      ),
                      reference.docStatus ?? reference.status,
                    ],
                  }))}
                />
              )}
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
