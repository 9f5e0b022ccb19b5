import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FhirError } from '../fhir/errors.js';
import type { FhirResource } from '../fhir/resource.js';
import { SUPPORTED_RESOURCE_TYPES } from '../fhir/resource-types.js';
import { extractIndexRows, extractIndexRowsExhaustively } from './extract.js';
import type { SearchIndexRows } from './index-rows.js';

function rowsFor<K extends keyof SearchIndexRows>(
  rows: SearchIndexRows,
  table: K,
  param: string,
): SearchIndexRows[K] {
  return rows[table].filter((row) => row.param === param) as SearchIndexRows[K];
}

const patient: FhirResource = {
  resourceType: 'Patient',
  id: 'p1',
  meta: {
    versionId: '1',
    lastUpdated: '2024-01-01T00:00:00Z',
    tag: [{ system: 'https://carebridge.dev/tag', code: 'test', display: 'Test' }],
  },
  identifier: [
    { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009', type: { text: 'NHS Number' } },
    { value: 'LOCAL-1' },
  ],
  active: true,
  name: [
    {
      use: 'official',
      family: 'Ó Briain',
      given: ['Zoë', 'Anne  Marie'],
      prefix: ['Dr'],
      text: 'Dr Zoë Ó Briain',
    },
  ],
  telecom: [
    { system: 'phone', value: '0113 496 0000' },
    { system: 'email', value: 'zoe@example.org' },
  ],
  gender: 'female',
  birthDate: '1970-03',
  address: [
    {
      line: ['1 High Street'],
      city: 'Leeds',
      district: 'West Yorkshire',
      postalCode: 'LS1 1AA',
      country: 'GB',
    },
  ],
  generalPractitioner: [
    { reference: 'Organization/B86010' },
    { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B86010' } },
  ],
  managingOrganization: { reference: 'https://fhir.example.nhs.uk/R4/Organization/X26/_history/3' },
};

const observation: FhirResource = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  category: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
    },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Pulse' },
  subject: { reference: 'Patient/p1' },
  encounter: { reference: '#contained-encounter' },
  effectivePeriod: { start: '2024-03-01T10:00:00+01:00' },
  valueQuantity: { value: 72.5, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  component: [
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      valueQuantity: { value: 120, unit: 'mmHg' },
    },
  ],
};

describe('extractIndexRows: tokens', () => {
  it('indexes Identifier system and value, with the type text lower-cased', () => {
    assert.deepEqual(rowsFor(extractIndexRows(patient), 'token', 'identifier'), [
      {
        param: 'identifier',
        system: 'https://fhir.nhs.uk/Id/nhs-number',
        code: '9000000009',
        text: 'nhs number',
      },
      { param: 'identifier', system: null, code: 'LOCAL-1', text: null },
    ]);
  });

  it('indexes each coding of a CodeableConcept and its text separately', () => {
    assert.deepEqual(rowsFor(extractIndexRows(observation), 'token', 'code'), [
      { param: 'code', system: 'http://loinc.org', code: '8867-4', text: 'heart rate' },
      { param: 'code', system: null, code: null, text: 'pulse' },
    ]);
  });

  it('indexes ContactPoint values without a system, split by the email/phone expressions', () => {
    const rows = extractIndexRows(patient);
    assert.deepEqual(rowsFor(rows, 'token', 'phone'), [
      { param: 'phone', system: null, code: '0113 496 0000', text: null },
    ]);
    assert.deepEqual(rowsFor(rows, 'token', 'email'), [
      { param: 'email', system: null, code: 'zoe@example.org', text: null },
    ]);
    assert.equal(rowsFor(rows, 'token', 'telecom').length, 2);
  });

  it('indexes booleans and codes as codes, and computes deceased=false when deceased is absent', () => {
    const rows = extractIndexRows(patient);
    assert.deepEqual(rowsFor(rows, 'token', 'active'), [
      { param: 'active', system: null, code: 'true', text: null },
    ]);
    assert.deepEqual(rowsFor(rows, 'token', 'gender'), [
      { param: 'gender', system: null, code: 'female', text: null },
    ]);
    assert.deepEqual(rowsFor(rows, 'token', 'deceased'), [
      { param: 'deceased', system: null, code: 'false', text: null },
    ]);
  });

  it('indexes meta.tag for the common _tag parameter', () => {
    assert.deepEqual(rowsFor(extractIndexRows(patient), 'token', '_tag'), [
      { param: '_tag', system: 'https://carebridge.dev/tag', code: 'test', text: 'test' },
    ]);
  });
});

describe('extractIndexRows: strings', () => {
  it('indexes every HumanName part lower-cased, without accents, whitespace collapsed, keeping the original for :exact', () => {
    const values = rowsFor(extractIndexRows(patient), 'string', 'name').map((row) => [row.value, row.exact]);
    assert.deepEqual(values, [
      ['o briain', 'Ó Briain'],
      ['zoe', 'Zoë'],
      ['anne marie', 'Anne  Marie'],
      ['dr', 'Dr'],
      ['dr zoe o briain', 'Dr Zoë Ó Briain'],
    ]);
  });

  it('indexes every Address part for address and only the element for address-city', () => {
    const rows = extractIndexRows(patient);
    assert.deepEqual(
      rowsFor(rows, 'string', 'address').map((row) => row.value),
      ['1 high street', 'leeds', 'west yorkshire', 'ls1 1aa', 'gb'],
    );
    assert.deepEqual(rowsFor(rows, 'string', 'address-city'), [
      { param: 'address-city', value: 'leeds', exact: 'Leeds' },
    ]);
  });
});

describe('extractIndexRows: references', () => {
  it('indexes relative references by type and id, and identifier-only references as system|value', () => {
    assert.deepEqual(rowsFor(extractIndexRows(patient), 'reference', 'general-practitioner'), [
      {
        param: 'general-practitioner',
        targetType: 'Organization',
        targetId: 'B86010',
        value: 'Organization/B86010',
      },
      {
        param: 'general-practitioner',
        targetType: null,
        targetId: null,
        value: 'https://fhir.nhs.uk/Id/ods-organization-code|B86010',
      },
    ]);
  });

  it('parses the type and id out of an absolute URL, ignoring a version', () => {
    assert.deepEqual(rowsFor(extractIndexRows(patient), 'reference', 'organization'), [
      {
        param: 'organization',
        targetType: 'Organization',
        targetId: 'X26',
        value: 'https://fhir.example.nhs.uk/R4/Organization/X26/_history/3',
      },
    ]);
  });

  it('keeps a contained reference without a target', () => {
    assert.deepEqual(rowsFor(extractIndexRows(observation), 'reference', 'encounter'), [
      { param: 'encounter', targetType: null, targetId: null, value: '#contained-encounter' },
    ]);
  });

  it('applies where(resolve() is Patient) to the referenced type: a Group subject is not a patient', () => {
    const ofPatient = extractIndexRows(observation);
    assert.deepEqual(rowsFor(ofPatient, 'reference', 'patient'), [
      { param: 'patient', targetType: 'Patient', targetId: 'p1', value: 'Patient/p1' },
    ]);
    const ofGroup = extractIndexRows({ ...observation, subject: { reference: 'Group/g1' } });
    assert.deepEqual(rowsFor(ofGroup, 'reference', 'patient'), []);
    assert.equal(rowsFor(ofGroup, 'reference', 'subject').length, 1);
  });

  it('uses Reference.type to decide where(resolve() is X) for identifier-only references', () => {
    const rows = extractIndexRows({
      ...observation,
      subject: {
        type: 'Patient',
        identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' },
      },
    });
    assert.deepEqual(rowsFor(rows, 'reference', 'patient'), [
      {
        param: 'patient',
        targetType: null,
        targetId: null,
        value: 'https://fhir.nhs.uk/Id/nhs-number|9000000009',
      },
    ]);
  });

  it('indexes canonical targets of reference parameters by URL', () => {
    const rows = extractIndexRows({
      resourceType: 'ServiceRequest',
      id: 's',
      instantiatesCanonical: ['https://example.org/PlanDefinition/pd|1.0'],
    });
    assert.deepEqual(rowsFor(rows, 'reference', 'instantiates-canonical'), [
      {
        param: 'instantiates-canonical',
        targetType: null,
        targetId: null,
        value: 'https://example.org/PlanDefinition/pd|1.0',
      },
    ]);
  });
});

describe('extractIndexRows: dates', () => {
  it('turns a partial date into the range its precision covers', () => {
    assert.deepEqual(rowsFor(extractIndexRows(patient), 'date', 'birthdate'), [
      { param: 'birthdate', low: '1970-03-01T00:00:00.000Z', high: '1970-04-01T00:00:00.000Z' },
    ]);
  });

  it('turns a Period into [start, end) with an open end as infinity, honouring the zone offset', () => {
    assert.deepEqual(rowsFor(extractIndexRows(observation), 'date', 'date'), [
      { param: 'date', low: '2024-03-01T09:00:00.000Z', high: 'infinity' },
    ]);
  });

  it('ends a Period at the end of its end date', () => {
    const rows = extractIndexRows({
      resourceType: 'Encounter',
      id: 'e',
      status: 'finished',
      class: { code: 'AMB' },
      period: { end: '2024-03-02' },
    });
    assert.deepEqual(rowsFor(rows, 'date', 'date'), [
      { param: 'date', low: '-infinity', high: '2024-03-03T00:00:00.000Z' },
    ]);
  });

  it('indexes each Timing event', () => {
    const rows = extractIndexRows({
      resourceType: 'MedicationRequest',
      id: 'm',
      dosageInstruction: [{ timing: { event: ['2024-01-01', '2024-02-01T08:00:00.5Z'] } }],
    });
    assert.deepEqual(rowsFor(rows, 'date', 'date'), [
      { param: 'date', low: '2024-01-01T00:00:00.000Z', high: '2024-01-02T00:00:00.000Z' },
      { param: 'date', low: '2024-02-01T08:00:00.500Z', high: '2024-02-01T08:00:00.600Z' },
    ]);
  });

  it('makes the end of year 9999 infinity rather than an instant PostgreSQL cannot store', () => {
    const rows = extractIndexRows({ resourceType: 'Patient', id: 'p', birthDate: '9999' });
    assert.deepEqual(rowsFor(rows, 'date', 'birthdate'), [
      { param: 'birthdate', low: '9999-01-01T00:00:00.000Z', high: 'infinity' },
    ]);
  });
});

describe('extractIndexRows: quantities and uris', () => {
  it('indexes a Quantity with the half-unit range of its last digit, system, code and unit', () => {
    assert.deepEqual(rowsFor(extractIndexRows(observation), 'quantity', 'value-quantity'), [
      {
        param: 'value-quantity',
        value: 72.5,
        low: 72.45,
        high: 72.55,
        system: 'http://unitsofmeasure.org',
        code: '/min',
        unit: 'beats/minute',
      },
    ]);
    assert.deepEqual(
      rowsFor(extractIndexRows(observation), 'quantity', 'component-value-quantity').map((row) => [
        row.value,
        row.low,
        row.high,
      ]),
      [[120, 119.5, 120.5]],
    );
  });

  it('does not index a Range as a quantity (it has no single value to compare)', () => {
    const rows = extractIndexRows({
      resourceType: 'Condition',
      id: 'c',
      subject: { reference: 'Patient/p' },
      onsetRange: { low: { value: 5 } },
    });
    assert.deepEqual(rowsFor(rows, 'quantity', 'onset-age'), []);
  });

  it('never emits a non-finite number (rows travel as JSON)', () => {
    const rows = extractIndexRows({
      resourceType: 'Observation',
      id: 'o',
      status: 'final',
      code: { text: 'x' },
      valueQuantity: { value: 1.7976931348623157e308 },
    });
    for (const row of rows.quantity) assert.ok([row.value, row.low, row.high].every(Number.isFinite));
  });

  it('indexes uri parameters as written', () => {
    const rows = extractIndexRows({
      resourceType: 'Questionnaire',
      id: 'q',
      status: 'active',
      url: 'https://example.org/Questionnaire/phq9',
    });
    assert.deepEqual(rowsFor(rows, 'uri', 'url'), [
      { param: 'url', value: 'https://example.org/Questionnaire/phq9' },
    ]);
  });
});

describe('extractIndexRows: robustness', () => {
  it('writes a value reached through two branches once', () => {
    const rows = extractIndexRows({
      resourceType: 'DocumentReference',
      id: 'd',
      status: 'current',
      masterIdentifier: { system: 's', value: 'v' },
      identifier: [{ system: 's', value: 'v' }],
      content: [{ attachment: {} }],
    });
    assert.equal(rowsFor(rows, 'token', 'identifier').length, 1);
  });

  it('refuses a resource type Carebridge does not support with a FhirError', () => {
    assert.throws(
      () => extractIndexRows({ resourceType: 'Basic', id: 'b' }),
      (error: unknown) => {
        assert.ok(error instanceof FhirError);
        assert.equal(error.problems[0]?.code, 'resource-type-not-supported');
        return true;
      },
    );
  });

  it('ignores values of the wrong shape instead of crashing', () => {
    const rows = extractIndexRows({
      resourceType: 'Patient',
      id: 'p',
      name: 'not-a-HumanName',
      identifier: { value: 42 },
      birthDate: 'someday',
    });
    assert.deepEqual(rowsFor(rows, 'string', 'name'), []);
    assert.deepEqual(rowsFor(rows, 'token', 'identifier'), []);
    assert.deepEqual(rowsFor(rows, 'date', 'birthdate'), []);
  });

  it('truncates very long indexed text to a size PostgreSQL can index', () => {
    const rows = extractIndexRows({ resourceType: 'Patient', id: 'p', name: [{ family: 'é'.repeat(5000) }] });
    const family = rowsFor(rows, 'string', 'family')[0];
    assert.ok(family && new TextEncoder().encode(family.value).length <= 1000);
    assert.equal(family?.exact.length, 5000);
  });

  it('gives the same rows with and without the absent-element shortcut, for every supported type', () => {
    const resources: FhirResource[] = [
      patient,
      observation,
      {
        resourceType: 'Observation',
        id: 'o2',
        status: 'final',
        code: { text: 'x' },
        _status: { extension: [] },
        valueString: 'Raised',
        effectiveTiming: { event: ['2024-05-05'] },
      },
      {
        resourceType: 'Observation',
        id: 'o3',
        status: 'final',
        code: { text: 'x' },
        valueCodeableConcept: { text: 'Positive' },
        effectiveInstant: '2024-05-05T10:00:00.123Z',
      },
      {
        resourceType: 'Patient',
        id: 'p2',
        _birthDate: { extension: [{ url: 'x', valueString: 'unknown' }] },
        deceasedDateTime: '2020-01-01',
      },
      {
        resourceType: 'Condition',
        id: 'c',
        subject: { reference: 'Patient/p' },
        onsetAge: { value: 40, code: 'a', system: 'http://unitsofmeasure.org' },
        abatementString: 'In remission',
      },
      ...SUPPORTED_RESOURCE_TYPES.map((resourceType) => ({ resourceType, id: 'empty' })),
    ];
    for (const resource of resources) {
      assert.deepEqual(
        extractIndexRows(resource),
        extractIndexRowsExhaustively(resource),
        `${resource.resourceType}/${resource.id}`,
      );
    }
  });
});
