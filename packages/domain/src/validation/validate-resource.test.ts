import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Problem } from '../fhir/errors.js';
import { testRangeNhsNumber } from '../identifiers/nhs-number.js';
import {
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_CODE_SYSTEM,
  ODS_SITE_CODE_SYSTEM,
} from '../identifiers/systems.js';
import { schemaStatistics } from './resource-validators.js';
import { validateResource } from './validate-resource.js';

const VALID_NHS_NUMBER = testRangeNhsNumber(0);
/** The same number with its check digit changed. */
const WRONG_CHECK_DIGIT = `${VALID_NHS_NUMBER.slice(0, 9)}${(Number(VALID_NHS_NUMBER[9]) + 1) % 10}`;

/** The problems as `code @ expression` lines, which read well in assertion failures. */
function summary(problems: readonly Problem[]): string[] {
  return problems.map((problem) => `${problem.code} @ ${problem.expression?.join(', ')}`);
}

function onlyProblem(resource: unknown): Problem {
  const problems = validateResource(resource);
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems, null, 2)}`);
  return problems[0] as Problem;
}

const patient = {
  resourceType: 'Patient',
  id: 'pat-1',
  meta: {
    versionId: '1',
    lastUpdated: '2024-05-01T10:00:00Z',
    profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient'],
  },
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: VALID_NHS_NUMBER }],
  active: true,
  name: [{ use: 'official', family: 'Smith', given: ['Jane', 'Anne'], prefix: ['Mrs'] }],
  telecom: [{ system: 'phone', value: '01632 960000', use: 'home' }],
  gender: 'female',
  birthDate: '1970-01-31',
  deceasedBoolean: false,
  address: [{ line: ['1 High Street'], city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' }],
  generalPractitioner: [
    { identifier: { system: ODS_ORGANIZATION_CODE_SYSTEM, value: 'B82001' }, display: 'Leeds GP' },
  ],
  extension: [
    {
      url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory',
      valueCodeableConcept: {
        coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory', code: 'A' }],
      },
    },
  ],
};

describe('validateResource accepts valid resources', () => {
  const valid: Record<string, unknown> = {
    Patient: patient,
    Organization: {
      resourceType: 'Organization',
      identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: 'RR8' }],
      name: 'Leeds Teaching Hospitals NHS Trust',
      active: true,
    },
    Location: {
      resourceType: 'Location',
      identifier: [{ system: ODS_SITE_CODE_SYSTEM, value: 'RR813' }],
      status: 'active',
      name: "St James's University Hospital",
      position: { longitude: -1.52, latitude: 53.81 },
    },
    Observation: {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '75367002', display: 'Blood pressure' }] },
      subject: { reference: 'Patient/pat-1' },
      effectiveDateTime: '2024-02-29T09:30:00+00:00',
      component: [
        { code: { text: 'Systolic' }, valueQuantity: { value: 120, unit: 'mmHg' } },
        { code: { text: 'Diastolic' }, valueQuantity: { value: 80.5, unit: 'mmHg' } },
      ],
    },
    Task: {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      priority: 'urgent',
      for: { reference: 'Patient/pat-1' },
      authoredOn: '2024-03-01T12:00:00Z',
      restriction: { repetitions: 1 },
    },
    Encounter: {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      period: { start: '2024-01-01', end: '2024-01-02' },
    },
    MedicationRequest: {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { text: 'Amoxicillin 500mg capsules' },
      subject: { reference: 'Patient/pat-1' },
      dosageInstruction: [
        { text: 'One three times a day', timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } } },
      ],
      dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 21, unit: 'capsule' } },
    },
    Questionnaire: {
      resourceType: 'Questionnaire',
      status: 'active',
      item: [{ linkId: '1', type: 'group', item: [{ linkId: '1.1', type: 'boolean', text: 'Smoker?' }] }],
    },
    Binary: { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVsbG8gd29ybGQ=' },
    Bundle: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:6f1c9a0e-3d0b-4a57-9a3e-1f0c2a7b8c9d',
          resource: { resourceType: 'Patient', gender: 'male' },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    },
  };
  for (const [type, resource] of Object.entries(valid)) {
    it(`accepts a valid ${type}`, () => assert.deepEqual(validateResource(resource), []));
  }

  it('accepts a primitive sent only as its extension twin, e.g. a required status with data-absent-reason', () => {
    const absent = {
      url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason',
      valueCode: 'unknown',
    };
    const observation = {
      resourceType: 'Observation',
      _status: { extension: [absent] },
      code: { text: 'x' },
    };
    assert.deepEqual(validateResource(observation), []);
  });

  it('accepts null in a primitive array where the twin array carries the extension', () => {
    const extension = [{ url: 'http://example.org/initial', valueBoolean: true }];
    const resource = {
      resourceType: 'Patient',
      name: [{ given: ['Jane', null], _given: [null, { extension }] }],
    };
    assert.deepEqual(validateResource(resource), []);
  });

  it('accepts extensions on canonical elements, which the R4 schema forgets to allow', () => {
    const extension = [{ url: 'http://example.org/note', valueString: 'x' }];
    const resource = {
      resourceType: 'Patient',
      meta: { profile: ['http://example.org/p'], _profile: [{ extension }] },
    };
    assert.deepEqual(validateResource(resource), []);
  });

  it('accepts a string with a no-break space, which FHIR (XML Schema) regexes allow', () => {
    assert.deepEqual(
      validateResource({ resourceType: 'Patient', name: [{ family: 'Smith\u00a0Jones' }] }),
      [],
    );
  });
});

describe('validateResource rejects what is not a resource', () => {
  for (const [label, value] of [
    ['null', null],
    ['an array', []],
    ['a string', 'Patient'],
  ] as const) {
    it(`answers invalid-resource at resourceType for ${label}`, () => {
      assert.deepEqual(summary(validateResource(value)), ['invalid-resource @ resourceType']);
    });
  }

  it('answers invalid-resource when resourceType is missing', () => {
    const problem = onlyProblem({ id: 'x' });
    assert.equal(problem.code, 'invalid-resource');
    assert.deepEqual(problem.expression, ['resourceType']);
  });

  for (const type of ['Foo', 'patient', 'Project', 'SubscriptionStatus', 42]) {
    it(`answers invalid-resource for resourceType ${JSON.stringify(type)}, which is not an R4 resource type`, () => {
      const problem = onlyProblem({ resourceType: type });
      assert.equal(problem.code, 'invalid-resource');
      assert.deepEqual(problem.expression, ['resourceType']);
      assert.match(problem.diagnostics ?? '', /is not an R4 resource type/);
    });
  }
});

describe('validateResource reports each kind of fault at its element', () => {
  it('reports an unknown element with its FHIRPath, and does not strip it', () => {
    const resource = { ...patient, contact: [{ name: { family: 'Smith', nickname: 'JJ' } }] };
    const problem = onlyProblem(resource);
    assert.equal(problem.code, 'unknown-element');
    assert.deepEqual(problem.expression, ['Patient.contact[0].name.nickname']);
    assert.equal(problem.diagnostics, "Unknown element 'nickname'");
    assert.equal(resource.contact[0]?.name.nickname, 'JJ');
  });

  it('reports elements Medplum adds to its copy of the schema as unknown (Meta.project, Reference.resource)', () => {
    const resource = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      meta: { project: 'p1' },
      subject: { reference: 'Patient/1', resource: { resourceType: 'Patient' } },
    };
    assert.deepEqual(summary(validateResource(resource)), [
      'unknown-element @ Observation.meta.project',
      'unknown-element @ Observation.subject.resource',
    ]);
  });

  it('reports a code outside its required binding as invalid-code, listing the allowed codes', () => {
    const problem = onlyProblem({ resourceType: 'Patient', gender: 'banana' });
    assert.equal(problem.code, 'invalid-code');
    assert.deepEqual(problem.expression, ['Patient.gender']);
    assert.equal(problem.diagnostics, "'banana' is not one of male | female | other | unknown");
  });

  it('reports a code outside a required binding the R4 schema leaves open, from the official value set', () => {
    const resource = {
      resourceType: 'MedicationRequest',
      status: 'paused',
      intent: 'order',
      subject: { reference: 'Patient/1' },
    };
    const problem = onlyProblem({ ...resource, medicationCodeableConcept: { text: 'x' } });
    assert.deepEqual(summary([problem]), ['invalid-code @ MedicationRequest.status']);
    assert.equal(
      problem.diagnostics,
      "'paused' is not one of active | on-hold | cancelled | completed | entered-in-error | stopped | draft | unknown",
    );
  });

  it('names only a few of the codes of a large value set', () => {
    const problem = onlyProblem({
      resourceType: 'Questionnaire',
      status: 'active',
      subjectType: ['Martian'],
    });
    assert.deepEqual(summary([problem]), ['invalid-code @ Questionnaire.subjectType[0]']);
    assert.match(
      problem.diagnostics ?? '',
      /^'Martian' is not one of the 148 codes allowed here, such as Account \| /,
    );
  });

  it('reports a single value where FHIR wants an array', () => {
    const problem = onlyProblem({ resourceType: 'Patient', name: { family: 'Smith' } });
    assert.equal(problem.code, 'invalid-value');
    assert.deepEqual(problem.expression, ['Patient.name']);
    assert.match(problem.diagnostics ?? '', /repeats, so it must be an array/);
  });

  it('reports an array where FHIR wants a single value', () => {
    const problem = onlyProblem({ resourceType: 'Patient', gender: ['female'] });
    assert.deepEqual(summary([problem]), ['invalid-code @ Patient.gender']);
  });

  it('reports a value of the wrong JSON type', () => {
    const problem = onlyProblem({ resourceType: 'Patient', active: 'yes' });
    assert.deepEqual(summary([problem]), ['invalid-value @ Patient.active']);
    assert.equal(problem.diagnostics, "Expected a boolean, not the string 'yes'");
  });

  it('reports a primitive that does not match its FHIR regex', () => {
    const problem = onlyProblem({ resourceType: 'Patient', id: 'has spaces', birthDate: '1970' });
    assert.deepEqual(summary([problem]), ['invalid-value @ Patient.id']);
    assert.equal(problem.diagnostics, "'has spaces' is not a valid id");
  });

  it('reports an empty string, which FHIR JSON never sends', () => {
    assert.deepEqual(summary(validateResource({ resourceType: 'Patient', name: [{ family: '' }] })), [
      'invalid-value @ Patient.name[0].family',
    ]);
  });

  it('reports control characters in a string', () => {
    assert.deepEqual(
      summary(validateResource({ resourceType: 'Patient', name: [{ family: 'Smi\u0007th' }] })),
      ['invalid-value @ Patient.name[0].family'],
    );
  });

  it('reports a decimal where FHIR wants an integer, and an integer out of range', () => {
    const resource = {
      resourceType: 'Patient',
      multipleBirthInteger: 1.5,
      contact: [{ name: { family: 'x' } }],
    };
    const problem = onlyProblem(resource);
    assert.deepEqual(summary([problem]), ['invalid-value @ Patient.multipleBirthInteger']);
    assert.equal(problem.diagnostics, '1.5 is not a valid integer');
    const positive = onlyProblem({
      resourceType: 'Questionnaire',
      status: 'active',
      item: [{ linkId: '1', type: 'string', maxLength: 2147483648 }],
    });
    assert.deepEqual(summary([positive]), ['invalid-value @ Questionnaire.item[0].maxLength']);
    assert.match(positive.diagnostics ?? '', /at most 2147483647/);
  });

  it('reports an empty array, which FHIR JSON never sends', () => {
    assert.deepEqual(summary(validateResource({ resourceType: 'Patient', name: [] })), [
      'invalid-value @ Patient.name',
    ]);
  });

  it('reports ele-1 for an element with no value and no children', () => {
    assert.deepEqual(
      summary(validateResource({ resourceType: 'Patient', name: [{}], maritalStatus: { id: 'a' } })),
      ['invariant-failed @ Patient.name[0]', 'invariant-failed @ Patient.maritalStatus'],
    );
  });

  it('reports ele-1 for an extension twin with neither a value nor an extension', () => {
    assert.deepEqual(summary(validateResource({ resourceType: 'Patient', _birthDate: { id: 'b' } })), [
      'invariant-failed @ Patient.birthDate',
    ]);
    assert.deepEqual(summary(validateResource({ resourceType: 'Patient', name: [{ given: ['a', null] }] })), [
      'invariant-failed @ Patient.name[0].given[1]',
    ]);
  });

  it('reports ext-1 for an extension with neither a value nor extensions, or with both', () => {
    const both = {
      url: 'http://example.org/a',
      valueString: 'x',
      extension: [{ url: 'http://example.org/b', valueBoolean: true }],
    };
    const resource = { resourceType: 'Patient', extension: [{ url: 'http://example.org/empty' }, both] };
    const problems = validateResource(resource);
    assert.deepEqual(summary(problems), [
      'invariant-failed @ Patient.extension[0]',
      'invariant-failed @ Patient.extension[1]',
    ]);
    assert.match(problems[0]?.diagnostics ?? '', /^ext-1:/);
  });

  it('reports an extension without its url', () => {
    assert.deepEqual(
      summary(validateResource({ resourceType: 'Patient', extension: [{ valueString: 'x' }] })),
      ['missing-required-element @ Patient.extension[0].url'],
    );
  });

  it('reports two values for one choice element', () => {
    const problem = onlyProblem({
      resourceType: 'Patient',
      deceasedBoolean: true,
      deceasedDateTime: '2020-01-01',
    });
    assert.deepEqual(summary([problem]), ['invalid-resource @ Patient.deceased[x]']);
  });
});

describe('validateResource checks minimum cardinality from the StructureDefinitions', () => {
  it('reports Observation.status and Observation.code when missing', () => {
    const problems = validateResource({ resourceType: 'Observation' });
    assert.deepEqual(summary(problems), [
      'missing-required-element @ Observation.status',
      'missing-required-element @ Observation.code',
    ]);
    assert.equal(problems[0]?.diagnostics, "Required element 'status' is missing");
  });

  it('reports Task.intent, Bundle.type and Bundle.entry.request.method when missing', () => {
    assert.deepEqual(summary(validateResource({ resourceType: 'Task', status: 'draft' })), [
      'missing-required-element @ Task.intent',
    ]);
    const bundle = { resourceType: 'Bundle', entry: [{ request: { url: 'Patient' } }] };
    assert.deepEqual(summary(validateResource(bundle)).sort(), [
      'missing-required-element @ Bundle.entry[0].request.method',
      'missing-required-element @ Bundle.type',
    ]);
  });

  it('reports required elements inside backbone elements and datatypes', () => {
    const resource = {
      resourceType: 'Patient',
      link: [{ type: 'seealso' }],
      text: { status: 'generated' },
      contact: [{ name: { family: 'x' } }],
    };
    assert.deepEqual(summary(validateResource(resource)), [
      'missing-required-element @ Patient.text.div',
      'missing-required-element @ Patient.link[0].other',
    ]);
  });

  it('reports a required choice element such as UsageContext.value[x]', () => {
    const resource = {
      resourceType: 'Questionnaire',
      status: 'draft',
      useContext: [{ code: { code: 'focus' } }],
    };
    const problem = onlyProblem(resource);
    assert.deepEqual(summary([problem]), ['missing-required-element @ Questionnaire.useContext[0].value[x]']);
    assert.match(
      problem.diagnostics ?? '',
      /valueCodeableConcept, valueQuantity, valueRange, valueReference/,
    );
  });
});

describe('validateResource checks calendar dates', () => {
  const cases: Array<[string, boolean]> = [
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['2023-02-28', true],
    ['2023-02-30', false],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2023-04-31', false],
    ['2023', true],
    ['2023-02', true],
  ];
  for (const [date, isValid] of cases) {
    it(`${isValid ? 'accepts' : 'rejects'} the date ${date}`, () => {
      const problems = validateResource({ resourceType: 'Patient', birthDate: date });
      assert.deepEqual(summary(problems), isValid ? [] : ['invalid-value @ Patient.birthDate']);
    });
  }

  it('says which day the month lacks', () => {
    const problem = onlyProblem({ resourceType: 'Patient', birthDate: '1970-02-30' });
    assert.equal(problem.diagnostics, "'1970-02-30' is not a valid date: February 1970 has 28 days");
  });

  it('checks dateTime, instant, and dates inside extensions and datatypes', () => {
    const resource = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      meta: { lastUpdated: '2023-06-31T10:00:00Z' },
      effectivePeriod: { start: '2023-09-31T08:00:00+01:00' },
      issued: '2024-02-29T10:00:00.123Z',
      extension: [{ url: 'http://example.org/when', valueDate: '2023-11-31' }],
    };
    assert.deepEqual(summary(validateResource(resource)), [
      'invalid-value @ Observation.meta.lastUpdated',
      'invalid-value @ Observation.extension[0].valueDate',
      'invalid-value @ Observation.effectivePeriod.start',
    ]);
  });

  it('still reports a date of the wrong form once, by its pattern', () => {
    const problem = onlyProblem({ resourceType: 'Patient', birthDate: '1970-13-01' });
    assert.equal(problem.diagnostics, "'1970-13-01' is not a valid date");
  });
});

describe('validateResource applies the UK Core identifier rules', () => {
  it('reports an NHS number with a wrong check digit at the identifier value', () => {
    const resource = {
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: WRONG_CHECK_DIGIT }],
    };
    const problem = onlyProblem(resource);
    assert.deepEqual(summary([problem]), ['invalid-nhs-number @ Patient.identifier[0].value']);
    assert.match(problem.diagnostics ?? '', new RegExp(`'${WRONG_CHECK_DIGIT}' is not a valid NHS number`));
  });

  it('reports an NHS number with spaces or of the wrong length', () => {
    const resource = {
      resourceType: 'Patient',
      identifier: [
        { system: NHS_NUMBER_SYSTEM, value: `${VALID_NHS_NUMBER.slice(0, 3)} ${VALID_NHS_NUMBER.slice(3)}` },
        { system: NHS_NUMBER_SYSTEM, value: VALID_NHS_NUMBER.slice(0, 9) },
        { system: 'https://example.org/other', value: WRONG_CHECK_DIGIT },
      ],
    };
    assert.deepEqual(summary(validateResource(resource)), [
      'invalid-nhs-number @ Patient.identifier[0].value',
      'invalid-nhs-number @ Patient.identifier[1].value',
    ]);
  });

  it('checks an NHS number wherever an Identifier occurs, including Reference.identifier', () => {
    const resource = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: WRONG_CHECK_DIGIT } },
    };
    assert.deepEqual(summary(validateResource(resource)), [
      'invalid-nhs-number @ Observation.subject.identifier.value',
    ]);
  });

  it('reports ODS organisation and site codes of the wrong form', () => {
    const resource = {
      resourceType: 'Organization',
      identifier: [
        { system: ODS_ORGANIZATION_CODE_SYSTEM, value: 'rr8' },
        { system: ODS_SITE_CODE_SYSTEM, value: 'RR8-13' },
        { system: ODS_ORGANIZATION_CODE_SYSTEM, value: 'A12345' },
        { system: ODS_SITE_CODE_SYSTEM, value: 'RR813' },
      ],
      partOf: { identifier: { system: ODS_ORGANIZATION_CODE_SYSTEM, value: '12' } },
    };
    const problems = validateResource(resource);
    assert.deepEqual(summary(problems), [
      'invalid-ods-code @ Organization.identifier[0].value',
      'invalid-ods-code @ Organization.identifier[1].value',
      'invalid-ods-code @ Organization.partOf.identifier.value',
    ]);
    assert.equal(problems[0]?.diagnostics, "'rr8' is not a valid ODS code");
  });

  it('leaves an identifier whose value is absent (only extensions) to the other rules', () => {
    const absent = {
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' }],
    };
    const resource = { resourceType: 'Patient', identifier: [{ system: NHS_NUMBER_SYSTEM, _value: absent }] };
    assert.deepEqual(validateResource(resource), []);
  });
});

describe('validateResource reports all faults at once', () => {
  it('reports every fault of a resource in one answer, each once', () => {
    const resource = {
      resourceType: 'Patient',
      gender: 'banana',
      birthDate: '2023-02-30',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: WRONG_CHECK_DIGIT }],
      name: [{ given: ['Jane', 7] }],
      foo: 'bar',
    };
    assert.deepEqual(summary(validateResource(resource)).sort(), [
      'invalid-code @ Patient.gender',
      'invalid-nhs-number @ Patient.identifier[0].value',
      'invalid-value @ Patient.birthDate',
      'invalid-value @ Patient.name[0].given[1]',
      'unknown-element @ Patient.foo',
    ]);
  });
});

describe('validateResource validates resources inside resources against their own types', () => {
  it('reports faults in Bundle entries with paths through the entry', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', gender: 'female' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } },
        { resource: { resourceType: 'Patient', birthDate: '1970-02-30', nickname: 'x' } },
        { resource: { resourceType: 'Nonsense' } },
      ],
    };
    const problems = validateResource(bundle);
    assert.deepEqual(summary(problems), [
      'unknown-element @ Bundle.entry[2].resource.nickname',
      'invalid-value @ Bundle.entry[2].resource.birthDate',
      'invalid-resource @ Bundle.entry[3].resource.resourceType',
    ]);
    assert.equal(problems[2]?.diagnostics, "'Nonsense' is not an R4 resource type");
  });

  it('reports a faulty contained resource, and dom-2 and dom-4 for contained resources', () => {
    // Medication.status is a required binding the R4 schema does not enumerate; the codes come from
    // its ValueSet.
    const resource = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationReference: { reference: '#med' },
      subject: { reference: 'Patient/1' },
      contained: [
        { resourceType: 'Medication', id: 'med', status: 'unknown-status', meta: { versionId: '2' } },
        { resourceType: 'Patient', id: 'p', contained: [{ resourceType: 'Patient' }] },
      ],
    };
    assert.deepEqual(summary(validateResource(resource)), [
      'invalid-code @ MedicationRequest.contained[0].status',
      'invariant-failed @ MedicationRequest.contained[0].meta.versionId',
      'invariant-failed @ MedicationRequest.contained[1].contained',
    ]);
  });

  it('validates a Bundle inside a Bundle entry', () => {
    const inner = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient', active: 1 } }],
    };
    const outer = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: inner }] };
    assert.deepEqual(summary(validateResource(outer)), [
      'invalid-value @ Bundle.entry[0].resource.entry[0].resource.active',
    ]);
  });
});

describe('validateResource refuses nesting bombs before any schema runs', () => {
  function nestedExtensions(depth: number): unknown {
    let extension: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
    for (let level = 0; level < depth; level++)
      extension = { url: 'http://example.org/nest', extension: [extension] };
    return { resourceType: 'Basic', code: { text: 'bomb' }, extension: [extension] };
  }

  it('rejects 1,000 nested extensions with nesting-too-deep, without running Ajv', () => {
    const runsBefore = schemaStatistics().runs;
    const started = performance.now();
    const problems = validateResource(nestedExtensions(1000));
    const elapsed = performance.now() - started;
    assert.deepEqual(
      problems.map((problem) => problem.code),
      ['nesting-too-deep'],
    );
    assert.match(problems[0]?.expression?.[0] ?? '', /^Basic\.extension\[0\](\.extension\[0\])+$/);
    assert.equal(schemaStatistics().runs, runsBefore, 'the schema must not run on a nesting bomb');
    // Walking 40 levels takes microseconds; 50 ms leaves room for any machine.
    assert.ok(elapsed < 50, `took ${elapsed} ms`);
  });

  it('rejects deeply nested arrays that are not even a resource', () => {
    let value: unknown = [];
    for (let level = 0; level < 100_000; level++) value = [value];
    assert.deepEqual(
      summary(validateResource(value)).map((line) => line.split(' @ ')[0]),
      ['nesting-too-deep'],
    );
  });

  it('takes its limit from maxDepth', () => {
    const resource = { resourceType: 'Patient', name: [{ given: ['a'] }] };
    assert.deepEqual(validateResource(resource, { maxDepth: 4 }), []);
    assert.deepEqual(summary(validateResource(resource, { maxDepth: 3 })), [
      'nesting-too-deep @ Patient.name[0].given',
    ]);
    assert.throws(() => validateResource(resource, { maxDepth: 0 }), RangeError);
  });

  it('accepts a resource nested up to the default limit of 40', () => {
    assert.deepEqual(validateResource(nestedExtensions(18)), []);
    assert.deepEqual(
      validateResource(nestedExtensions(19)).map((problem) => problem.code),
      ['nesting-too-deep'],
    );
  });
});

describe('validateResource stays fast on hostile values', () => {
  it('checks a long base64 value with many whitespace runs in linear time', () => {
    const data = `${'QUJD '.repeat(20_000)}!`;
    const started = performance.now();
    const problems = validateResource({ resourceType: 'Binary', contentType: 'text/plain', data });
    assert.deepEqual(summary(problems), ['invalid-value @ Binary.data']);
    assert.ok((problems[0]?.diagnostics?.length ?? 0) < 200, 'diagnostics quote a long value only in part');
    assert.ok(performance.now() - started < 1000);
  });
});
