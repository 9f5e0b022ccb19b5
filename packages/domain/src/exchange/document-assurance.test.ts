import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Composition, CompositionSection, FhirResource } from 'fhir/r4.js';

type DocumentBundle = Bundle<FhirResource>;
import { isValidNhsNumber } from '../identifiers/nhs-number.js';
import { NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM } from '../identifiers/systems.js';
import { compareDemographics, demographicsOfPatient, normaliseName } from './demographics.js';
import { assuranceIssues, assureDocument, type AssuranceResult } from './document-assurance.js';
import {
  DOCUMENT_DEFINITIONS,
  MEDICATION_CHANGE_EXTENSION,
  SNOMED_CT_SYSTEM,
  type DocumentKind,
} from './document-definitions.js';
import { DocumentFactsError, documentContentHash, extractDocumentFacts } from './document-facts.js';
import { P1_NHS, dischargeSummary } from '../../../../test/fixtures/documents.mjs';

const NHS_NUMBER = P1_NHS;
const OTHER_NHS_NUMBER = '9990000026';

const snomed = (code: string, display: string) => ({ coding: [{ system: SNOMED_CT_SYSTEM, code, display }] });

function sectionFor(composition: Composition, title: string): CompositionSection {
  const section = composition.section?.find((s) => s.title === title);
  assert.ok(section, `section ${title}`);
  return section;
}

interface Options {
  kind?: DocumentKind;
  /** Suffix for every urn:uuid, so two copies of one letter differ only in ids. */
  uuidSeed?: string;
  documentId?: string;
}

/**
 * A synthetic, valid document of the kind (999-range NHS number), with coded entries: the shared
 * fixture as sent by a trust (RX1) at version 2, with the ids and timestamps `uuidSeed` varies.
 */
function documentBundle(options: Options = {}): DocumentBundle {
  const seed = options.uuidSeed ?? '0';
  const bundle = dischargeSummary({
    documentId: options.documentId ?? `urn:uuid:doc-${seed}`,
    setId: 'SET-1',
    version: 2,
    uuidSeed: seed,
    custodian: { odsCode: 'RX1', name: 'Example Trust' },
    issued: seed === '0' ? '2026-03-02T11:00:00Z' : '2026-03-05T09:00:00Z',
    kind: options.kind,
  });
  const doc = composition(bundle);
  doc.id = `composition-${seed}`;
  doc.meta = { lastUpdated: `2026-03-0${seed === '0' ? 2 : 3}T10:00:00Z` };
  const condition = bundle.entry?.[5]?.resource;
  if (condition?.resourceType === 'Condition')
    condition.recordedDate = seed === '0' ? '2026-03-01' : '2026-03-04';
  const task = bundle.entry?.[8]?.resource;
  if (task?.resourceType === 'Task') task.owner = { display: 'Example Practice' };
  return bundle;
}

/** The same JSON with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, child]) => [key, reverseKeys(child)]),
  );
}

function composition(bundle: DocumentBundle): Composition {
  const resource = bundle.entry?.[0]?.resource;
  assert.equal(resource?.resourceType, 'Composition');
  return resource as Composition;
}

function rejectedProblems(result: AssuranceResult): { reason: string; expression: string }[] {
  assert.equal(result.outcome, 'rejected', 'the document should be rejected');
  if (result.outcome !== 'rejected') return [];
  return result.problems.map(({ reason, expression }) => ({ reason, expression }));
}

describe('Document assurance', () => {
  it('uses NHS numbers that pass the modulus-11 check in the synthetic fixtures', () => {
    assert.ok(isValidNhsNumber(NHS_NUMBER));
    assert.ok(isValidNhsNumber(OTHER_NHS_NUMBER));
  });

  for (const kind of Object.keys(DOCUMENT_DEFINITIONS) as DocumentKind[]) {
    it(`accepts a complete ${kind} and names its kind`, () => {
      const result = assureDocument(documentBundle({ kind }));
      assert.equal(result.outcome, 'accepted', JSON.stringify(result));
      assert.equal(result.kind, kind);
    });
  }

  it('accepts a document without its "required" headings but warns about each one', () => {
    const result = assureDocument(documentBundle());
    assert.equal(result.outcome, 'accepted');
    const warned = result.warnings.filter((w) => w.reason === 'missing-section').map((w) => w.message);
    assert.ok(warned.some((m) => m.includes('"Discharge details"')));
    assert.ok(result.warnings.every((w) => w.severity === 'warning'));
  });

  it('rejects something that is not a Bundle, and a Bundle whose first entry is not a Composition', () => {
    assert.deepEqual(rejectedProblems(assureDocument({ resourceType: 'Patient' })), [
      { reason: 'structure', expression: 'Bundle' },
    ]);
    const bundle = documentBundle();
    bundle.entry?.reverse();
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'structure', expression: 'Bundle.entry[0].resource' },
    ]);
    assert.deepEqual(rejectedProblems(assureDocument(null)), [{ reason: 'structure', expression: 'Bundle' }]);
  });

  it('reports every fault at once, each with its FHIRPath', () => {
    const bundle = documentBundle();
    bundle.type = 'collection';
    delete bundle.identifier;
    const doc = composition(bundle);
    (doc as { status: string }).status = 'draft';
    doc.custodian = { identifier: { system: ODS_ORGANIZATION_CODE_SYSTEM, value: 'not an ods code' } };
    const problems = rejectedProblems(assureDocument(bundle));
    assert.deepEqual(problems.map((p) => p.reason).sort(), [
      'invalid-ods-code',
      'invalid-status',
      'missing-element',
      'structure',
    ]);
    assert.ok(problems.some((p) => p.expression === 'Bundle.entry[0].resource.status'));
    assert.ok(problems.some((p) => p.expression === 'Bundle.identifier'));
  });

  it('rejects an unknown Composition.type', () => {
    const bundle = documentBundle();
    composition(bundle).type = snomed('734163000', 'Care plan');
    const result = assureDocument(bundle);
    assert.deepEqual(rejectedProblems(result), [
      { reason: 'unknown-document-kind', expression: 'Bundle.entry[0].resource.type' },
    ]);
    assert.equal(result.kind, undefined);
  });

  it('rejects a patient without a valid NHS number, pointing at the identifier value', () => {
    const bundle = documentBundle();
    const patient = bundle.entry?.[1]?.resource;
    assert.equal(patient?.resourceType, 'Patient');
    if (patient?.resourceType === 'Patient')
      patient.identifier = [{ system: NHS_NUMBER_SYSTEM, value: '9990000019' }];
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'invalid-nhs-number', expression: 'Bundle.entry[1].resource.identifier[0].value' },
    ]);
  });

  it('rejects a subject that does not resolve inside the Bundle', () => {
    const bundle = documentBundle();
    composition(bundle).subject = { reference: 'Patient/elsewhere' };
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'unresolvable-reference', expression: 'Bundle.entry[0].resource.subject' },
    ]);
  });

  it('rejects a discharge summary without a discharge date', () => {
    const bundle = documentBundle();
    const encounter = bundle.entry?.[4]?.resource;
    if (encounter?.resourceType === 'Encounter') encounter.period = { start: '2026-02-27T09:00:00Z' };
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'missing-event-date', expression: 'Bundle.entry[0].resource.encounter' },
    ]);
  });

  it('takes the discharge date from Composition.event when there is no encounter', () => {
    const bundle = documentBundle();
    const doc = composition(bundle);
    delete doc.encounter;
    doc.event = [{ period: { end: '2026-03-01' } }];
    assert.equal(assureDocument(bundle).outcome, 'accepted');
  });

  it('rejects a missing mandatory section and an empty one, naming the section', () => {
    const bundle = documentBundle();
    const doc = composition(bundle);
    doc.section = doc.section?.filter((s) => s.title !== 'GP practice');
    const summary = sectionFor(doc, 'Clinical summary');
    delete summary.text;
    const problems = rejectedProblems(assureDocument(bundle));
    const summaryIndex = doc.section?.indexOf(summary) ?? -1;
    assert.deepEqual(problems, [
      { reason: 'empty-section', expression: `Bundle.entry[0].resource.section[${summaryIndex}]` },
      { reason: 'missing-section', expression: 'Bundle.entry[0].resource.section' },
    ]);
  });

  it('accepts an empty mandatory section that says why it is empty', () => {
    const bundle = documentBundle();
    const allergies = sectionFor(composition(bundle), 'Allergies and adverse reactions');
    delete allergies.text;
    delete allergies.entry;
    allergies.emptyReason = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'nilknown' }],
    };
    assert.equal(assureDocument(bundle).outcome, 'accepted');
  });

  it('rejects a diagnosis coded outside SNOMED CT and a medicine without a dm+d code', () => {
    const bundle = documentBundle();
    const condition = bundle.entry?.[5]?.resource;
    if (condition?.resourceType === 'Condition')
      condition.code = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I21.9' }] };
    const statement = bundle.entry?.[7]?.resource;
    if (statement?.resourceType === 'MedicationStatement')
      statement.medicationCodeableConcept = { text: 'atorvastatin' };
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'uncoded-entry', expression: 'Bundle.entry[5].resource.code' },
      { reason: 'uncoded-entry', expression: 'Bundle.entry[7].resource.medicationCodeableConcept' },
    ]);
  });

  it('rejects a section entry that does not resolve, and one of the wrong type', () => {
    const bundle = documentBundle();
    const doc = composition(bundle);
    const diagnoses = sectionFor(doc, 'Diagnoses');
    diagnoses.entry = [{ reference: 'urn:uuid:missing' }, { reference: bundle.entry?.[6]?.fullUrl ?? '' }];
    const at = `Bundle.entry[0].resource.section[${doc.section?.indexOf(diagnoses) ?? -1}]`;
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'unresolvable-reference', expression: `${at}.entry[0]` },
      { reason: 'wrong-entry-type', expression: `${at}.entry[1]` },
    ]);
  });

  it('rejects a coded entry about another patient', () => {
    const bundle = documentBundle();
    bundle.entry?.push({
      fullUrl: 'urn:uuid:other-patient',
      resource: {
        resourceType: 'Patient',
        identifier: [{ system: NHS_NUMBER_SYSTEM, value: OTHER_NHS_NUMBER }],
      },
    });
    const condition = bundle.entry?.[5]?.resource;
    if (condition?.resourceType === 'Condition') condition.subject = { reference: 'urn:uuid:other-patient' };
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'wrong-patient-entry', expression: 'Bundle.entry[5].resource.subject' },
    ]);
  });

  it('follows a List of coded entries and checks each item', () => {
    const bundle = documentBundle();
    const conditionUrl = bundle.entry?.[5]?.fullUrl ?? '';
    bundle.entry?.push({
      fullUrl: 'urn:uuid:diagnosis-list',
      resource: {
        resourceType: 'List',
        status: 'current',
        mode: 'snapshot',
        entry: [{ item: { reference: conditionUrl } }, { item: { reference: 'urn:uuid:gone' } }],
      },
    });
    sectionFor(composition(bundle), 'Diagnoses').entry = [{ reference: 'urn:uuid:diagnosis-list' }];
    const listIndex = (bundle.entry?.length ?? 0) - 1;
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'unresolvable-reference', expression: `Bundle.entry[${listIndex}].resource.entry[1].item` },
    ]);
  });

  it('rejects general correspondence without a PDF', () => {
    const bundle = documentBundle({ kind: 'general-correspondence' });
    const reference = bundle.entry?.at(-1)?.resource;
    if (reference?.resourceType === 'DocumentReference')
      reference.content = [{ attachment: { contentType: 'text/plain', data: 'aGk=' } }];
    assert.deepEqual(rejectedProblems(assureDocument(bundle)), [
      { reason: 'missing-attachment', expression: 'Bundle.entry[0].resource.section' },
    ]);
  });

  it('accepts a PDF carried as a Binary the DocumentReference points to', () => {
    const bundle = documentBundle({ kind: 'general-correspondence' });
    const reference = bundle.entry?.at(-1)?.resource;
    if (reference?.resourceType === 'DocumentReference') {
      reference.content = [{ attachment: { contentType: 'application/pdf', url: 'urn:uuid:the-pdf' } }];
    }
    bundle.entry?.push({
      fullUrl: 'urn:uuid:the-pdf',
      resource: { resourceType: 'Binary', contentType: 'application/pdf', data: 'JVBERi0=' },
    });
    assert.equal(assureDocument(bundle).outcome, 'accepted');
  });

  it('turns problems into OperationOutcome issues with the stable reason code', () => {
    const bundle = documentBundle();
    composition(bundle).subject = { reference: 'Patient/elsewhere' };
    const [issue] = assuranceIssues(assureDocument(bundle));
    assert.equal(issue?.severity, 'error');
    assert.equal(issue?.details?.coding?.[0]?.code, 'unresolvable-reference');
    assert.deepEqual(issue?.expression, ['Bundle.entry[0].resource.subject']);
  });
});

describe('Document facts', () => {
  it('extracts identity, patient, custodian, event date and coded entries', () => {
    const facts = extractDocumentFacts(documentBundle());
    assert.equal(facts.documentId, 'urn:uuid:doc-0');
    assert.equal(facts.setId, 'SET-1');
    assert.equal(facts.version, 2);
    assert.equal(facts.kind, 'inpatient-discharge');
    assert.equal(facts.patient.nhsNumber, NHS_NUMBER);
    assert.equal(facts.patient.family, 'Ó Briain');
    assert.equal(facts.custodianOds, 'RX1');
    assert.equal(facts.eventDate, '2026-03-01T15:30:00Z');
    assert.equal(facts.eventAt.toISOString(), '2026-03-01T15:30:00.000Z');
    assert.deepEqual(facts.conditions, [
      {
        concept: { system: SNOMED_CT_SYSTEM, code: '22298006', display: 'Myocardial infarction' },
        text: 'Heart attack',
        section: 'Diagnoses',
        clinicalStatus: 'active',
      },
    ]);
    assert.equal(facts.allergies[0]?.criticality, 'high');
    assert.equal(facts.medications[0]?.change, 'added');
    assert.equal(facts.actions[0]?.description, 'Please review statin dose in 6 weeks');
    assert.equal(facts.hasMedicationChanges, true);
    assert.equal(facts.hasActions, true);
    assert.match(facts.contentHash, /^[0-9a-f]{64}$/);
  });

  it('reads the replaced document id from relatesTo', () => {
    const bundle = documentBundle();
    composition(bundle).relatesTo = [
      { code: 'replaces', targetIdentifier: { value: 'urn:uuid:doc-earlier' } },
    ];
    assert.equal(extractDocumentFacts(bundle).replaces, 'urn:uuid:doc-earlier');
  });

  it('does not count a continued medicine as a change, but counts a stopped one', () => {
    const bundle = documentBundle();
    const statement = bundle.entry?.[7]?.resource;
    assert.equal(statement?.resourceType, 'MedicationStatement');
    if (statement?.resourceType !== 'MedicationStatement') return;
    statement.extension = [{ url: MEDICATION_CHANGE_EXTENSION, valueCode: 'continued' }];
    assert.equal(extractDocumentFacts(bundle).hasMedicationChanges, false);
    statement.status = 'stopped';
    assert.equal(extractDocumentFacts(bundle).hasMedicationChanges, true);
  });

  it('reads the CareConnect change-summary extension senders already use', () => {
    const bundle = documentBundle();
    const statement = bundle.entry?.[7]?.resource;
    if (statement?.resourceType !== 'MedicationStatement') return assert.fail('fixture');
    statement.extension = [
      {
        url: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationChangeSummary-1',
        extension: [{ url: 'status', valueCode: 'Amended' }],
      },
    ];
    assert.equal(extractDocumentFacts(bundle).medications[0]?.change, 'amended');
  });

  it('refuses to extract facts from a document assurance would reject', () => {
    const bundle = documentBundle();
    composition(bundle).type = snomed('734163000', 'Care plan');
    assert.throws(() => extractDocumentFacts(bundle), DocumentFactsError);
  });

  it('hashes the same letter sent twice (new ids, timestamps, key order) the same', () => {
    const first = documentBundle({ uuidSeed: '0' });
    const again = documentBundle({ uuidSeed: '7', documentId: 'urn:uuid:resent' });
    assert.equal(documentContentHash(first), documentContentHash(again));
    assert.equal(documentContentHash(first), documentContentHash(reverseKeys(again) as DocumentBundle));
  });

  it('hashes a letter differently when a clinical word or code changes', () => {
    const original = documentContentHash(documentBundle());
    const wording = documentBundle();
    const summary = sectionFor(composition(wording), 'Clinical summary');
    summary.text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Different</div>' };
    assert.notEqual(documentContentHash(wording), original);
    const code = documentBundle();
    const condition = code.entry?.[5]?.resource;
    if (condition?.resourceType === 'Condition')
      condition.code = snomed('44054006', 'Diabetes mellitus type 2');
    assert.notEqual(documentContentHash(code), original);
  });

  it('hashes a letter about another patient differently', () => {
    const bundle = documentBundle();
    const patient = bundle.entry?.[1]?.resource;
    if (patient?.resourceType === 'Patient')
      patient.identifier = [{ system: NHS_NUMBER_SYSTEM, value: OTHER_NHS_NUMBER }];
    assert.notEqual(documentContentHash(bundle), documentContentHash(documentBundle()));
  });
});

describe('Demographic matching', () => {
  const registered = { nhsNumber: NHS_NUMBER, family: 'O Briain', given: ['Zoe'], birthDate: '1950-05-17' };

  it('matches names that differ only in case, accents and whitespace', () => {
    assert.deepEqual(
      compareDemographics(
        { nhsNumber: NHS_NUMBER, family: '  ó   BRIAIN ', given: ['ZOË', 'Anne'], birthDate: '1950-05-17' },
        registered,
      ),
      { outcome: 'match' },
    );
    assert.equal(normaliseName('D’Arcy'), "d'arcy");
  });

  it('reads demographics from the official name of a FHIR Patient', () => {
    const demographics = demographicsOfPatient({
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS_NUMBER }],
      name: [
        { use: 'old', family: 'Smith', given: ['Zoe'] },
        { use: 'official', family: 'Ó Briain', given: ['Zoë'] },
      ],
      birthDate: '1950-05-17',
    });
    assert.deepEqual(compareDemographics(demographics, registered), { outcome: 'match' });
  });

  it('holds a document whose birth date or given name differs, giving every reason', () => {
    const result = compareDemographics(
      { ...registered, given: ['Zara'], birthDate: '1950-05-18' },
      registered,
    );
    assert.equal(result.outcome, 'mismatch');
    assert.deepEqual(result.outcome === 'mismatch' ? result.mismatches.map((m) => m.reason) : [], [
      'given-name',
      'birth-date',
    ]);
  });

  it('treats a missing value as a mismatch, not as agreement', () => {
    const result = compareDemographics(
      { nhsNumber: NHS_NUMBER, family: 'O Briain', given: ['Zoe'] },
      registered,
    );
    assert.deepEqual(result.outcome === 'mismatch' ? result.mismatches.map((m) => m.reason) : [], [
      'birth-date',
    ]);
  });

  it('does not treat a hyphenated surname as the same as the unhyphenated one', () => {
    const result = compareDemographics(
      { ...registered, family: 'Smith-Jones' },
      { ...registered, family: 'Smith Jones' },
    );
    assert.equal(result.outcome, 'mismatch');
  });

  it('reports different NHS numbers', () => {
    const result = compareDemographics({ ...registered, nhsNumber: OTHER_NHS_NUMBER }, registered);
    assert.deepEqual(result.outcome === 'mismatch' ? result.mismatches.map((m) => m.reason) : [], [
      'nhs-number',
    ]);
  });
});
