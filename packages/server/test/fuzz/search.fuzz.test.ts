import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  asHeaderValue,
  encodeUrlPart,
  longString,
  nastyDate,
  nastyString,
  urlEncoding,
} from './arbitraries.js';
import { AUTHORIZATION, FuzzHarness, fuzz, isObject, NHS_NUMBER_SYSTEM, nhsNumber, runs } from './support.js';

/**
 * Property: any query string on Patient and Observation search — real parameter names with real,
 * unknown and nonsense modifiers, every prefix, SQL-looking and LIKE-wildcard values, unicode,
 * huge numbers, impossible dates, '|' ',' '$' escapes, forged and altered paging cursors — under
 * strict or lenient handling, by GET or by POST _search with a form body, never produces a 5xx.
 */
const PATIENT_PARAMETERS = [
  'identifier',
  'name',
  'family',
  'given',
  'birthdate',
  'gender',
  'address',
  'address-postalcode',
  'telecom',
  'phone',
  'email',
  'general-practitioner',
  'organization',
  'active',
  'deceased',
  'death-date',
  '_has:Observation:subject:code',
  '_has:Observation:patient:_id',
  '_has:Observation',
  '_text',
  '_content',
  '_filter',
  '_query',
  '_list',
  '_type',
  '_tag',
  '_profile',
  '_security',
  '_source',
  '_since',
  '_at',
];

const OBSERVATION_PARAMETERS = [
  'subject',
  'subject:Patient.identifier',
  'subject:Patient.name',
  'subject:Patient.birthdate',
  'subject:Observation.code',
  'patient',
  'patient:Patient.identifier',
  'code',
  'date',
  'value-quantity',
  'status',
  'category',
  'encounter',
  'performer',
  'value-string',
  'value-concept',
  'value-date',
  'component-code',
  'combo-code-value-quantity',
  'code-value-quantity',
  'based-on',
  'identifier',
];

const COMMON_PARAMETERS = [
  '_id',
  '_lastUpdated',
  '_count',
  '_sort',
  '_include',
  '_revinclude',
  '_include:iterate',
  '_revinclude:iterate',
  '_summary',
  '_total',
  '_cursor',
  '_elements',
  '_format',
  '_pretty',
];

const MODIFIERS = [
  '',
  '',
  '',
  ':exact',
  ':contains',
  ':missing',
  ':not',
  ':text',
  ':Patient',
  ':identifier',
  ':above',
  ':below',
  ':in',
  ':not-in',
  ':of-type',
  ':iterate',
  ':Patient.identifier',
  ':Observation',
  ':Account',
  ':',
  '::',
  ':exact:exact',
];

const PREFIXES = ['', '', '', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'zz', 'EQ', 'gtlt'];

const VALUES = [
  '',
  "' or 1=1 --",
  "'; select pg_sleep(10); --",
  "') or ('1'='1",
  '%',
  '%%',
  '_',
  '\\',
  '\\\\',
  '%_\\',
  'smi%',
  'smi_h',
  'Smith',
  'smith',
  'SMITH',
  'Zoë',
  'é',
  '中文',
  '\u0000',
  '\ud800',
  'fuzz-s-1',
  'Patient/fuzz-s-1',
  'Patient/fuzz-s-1/_history/1',
  'Observation/fuzz-s-1',
  'http://example.org/fhir/Patient/fuzz-s-1',
  'urn:uuid:0b7d3c1e-5a4f-4c2b-9f1e-000000000001',
  'male',
  'female',
  'true',
  'false',
  'final',
  '1970-01-01',
  '1970',
  '2026-03-01T09:00:00Z',
  '0',
  '-0',
  '5.4',
  '5.40',
  '1e309',
  '-1e309',
  '1e-400',
  '99999999999999999999999999999999',
  '0.00000000000000000000000000001',
  'NaN',
  'Infinity',
  '|',
  '||',
  '|||',
  ',',
  ',,',
  '$',
  '$$',
  '|,$',
  '\\|',
  '\\,',
  '\\$',
  'a\\,b',
  'a,b',
  'a|b',
  'a$b',
  'a|b|c',
  '$|,',
  `${NHS_NUMBER_SYSTEM}|${nhsNumber(1)}`,
  `${NHS_NUMBER_SYSTEM}|`,
  `|${nhsNumber(2)}`,
  'http://loinc.org|8867-4',
  'http://loinc.org|',
  '|8867-4',
  '8867-4',
  '8867-4$5.4',
  'http://loinc.org|8867-4$gt5.4|http://unitsofmeasure.org|kg',
  '5.4|http://unitsofmeasure.org|kg',
  '5.4||kg',
  '5.4|http://unitsofmeasure.org',
  'abc|x|y',
  '1e309|http://unitsofmeasure.org|kg',
  'Observation:subject',
  'Observation:subject:Patient',
  'Observation:patient',
  'Observation:*',
  'Patient:general-practitioner',
  'Patient:organization',
  'Observation:zz',
  'Observation:subject:Zz',
  '*',
  ':',
  'birthdate',
  '-birthdate',
  'name,-birthdate',
  '-',
  '--name',
  '_id',
  '-_lastUpdated',
  'count',
  'text',
  'data',
  'none',
  'estimate',
  'accurate',
  '1',
  '2',
  '-1',
  '1000',
  '1001',
  '2.5',
  '1e3',
  '99999999999',
  'abc.def',
  '.',
  'a.b.c',
];

const COUNTS = ['0', '1', '2', '-1', '1e3', 'abc', '99999999999', '1000', '1001', '2.5', '', ' 1', '01'];

/** Real cursors issued by the server (filled in `before`), to be replayed, altered and misused. */
const issuedCursors: string[] = [];

const cursorValue = fc.oneof(
  fc.constantFrom('abc.def', '', '.', 'a.b.c', 'eyJ9.x', 'e30.AAAA'),
  fc
    .record({ index: fc.nat(), how: fc.constantFrom('as-is', 'truncate', 'flip', 'append', 'swap') })
    .map(({ index, how }) => {
      const cursor =
        issuedCursors.length === 0 ? 'no.cursor' : (issuedCursors[index % issuedCursors.length] as string);
      const [body = '', mac = ''] = cursor.split('.');
      switch (how) {
        case 'as-is':
          return cursor;
        case 'truncate':
          return cursor.slice(0, Math.max(1, cursor.length - 1 - (index % 10)));
        case 'flip':
          return `${body.slice(0, -1)}${body.endsWith('A') ? 'B' : 'A'}.${mac}`;
        case 'append':
          return `${cursor}x`;
        case 'swap':
          return `${mac}.${body}`;
      }
    }),
);

interface Parameter {
  name: string;
  modifier: string;
  prefix: string;
  value: string;
  nameEncoding: 'encoded' | 'raw' | 'broken';
  valueEncoding: 'encoded' | 'raw' | 'broken';
  shape: 'pair' | 'name-only' | 'double-equals';
}

function parameter(names: readonly string[]): fc.Arbitrary<Parameter> {
  const name = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...names, ...COMMON_PARAMETERS) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
    { weight: 1, arbitrary: nastyString },
  );
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...VALUES) },
    { weight: 2, arbitrary: nastyDate },
    { weight: 1, arbitrary: fc.constantFrom(...COUNTS) },
    { weight: 1, arbitrary: cursorValue },
    { weight: 2, arbitrary: nastyString },
    {
      weight: 1,
      arbitrary: fc.array(fc.constantFrom(...VALUES), { minLength: 2, maxLength: 5 }).map((v) => v.join(',')),
    },
    { weight: 1, arbitrary: longString.map((s) => s.slice(0, 3000)) },
  );
  return fc.record({
    name,
    modifier: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...MODIFIERS) },
      { weight: 1, arbitrary: nastyString.map((m) => `:${m}`) },
    ),
    prefix: fc.constantFrom(...PREFIXES),
    value,
    nameEncoding: urlEncoding,
    valueEncoding: urlEncoding,
    shape: fc.constantFrom(
      'pair',
      'pair',
      'pair',
      'pair',
      'pair',
      'pair',
      'name-only',
      'double-equals',
    ) as fc.Arbitrary<Parameter['shape']>,
  });
}

function queryString(parameters: readonly Parameter[]): string {
  return parameters
    .map((p) => {
      const name = encodeUrlPart(`${p.name}${p.modifier}`, p.nameEncoding);
      if (p.shape === 'name-only') return name;
      const value = encodeUrlPart(`${p.prefix}${p.value}`, p.valueEncoding);
      return p.shape === 'double-equals' ? `${name}==${value}` : `${name}=${value}`;
    })
    .join('&');
}

const PREFER = [
  undefined,
  'handling=strict',
  'handling=lenient',
  'handling=lenient, return=minimal',
  'handling=strict; return=representation',
  'handling=bogus',
];
const prefer = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PREFER) },
  { weight: 1, arbitrary: nastyString.map(asHeaderValue) },
);

/** Mostly the integration; sometimes a GP with no relationships or a patient, so access predicates join in. */
const principal = fc.constantFrom(
  AUTHORIZATION.integration,
  AUTHORIZATION.integration,
  AUTHORIZATION.integration,
  AUTHORIZATION.integration,
  AUTHORIZATION.gp,
  AUTHORIZATION.patient,
);

const searchRequest = fc.oneof(
  fc.record({
    type: fc.constant('Patient'),
    parameters: fc.array(parameter(PATIENT_PARAMETERS), { maxLength: 6 }),
    prefer,
    principal,
    head: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('Observation'),
    parameters: fc.array(parameter(OBSERVATION_PARAMETERS), { maxLength: 6 }),
    prefer,
    principal,
    head: fc.boolean(),
  }),
);

const FORM_CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=latin1',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/fhir+json',
  'multipart/form-data; boundary=x',
  'text/plain',
];

const formSearchRequest = fc.record({
  type: fc.constantFrom('Patient', 'Observation'),
  form: fc.array(parameter([...PATIENT_PARAMETERS, ...OBSERVATION_PARAMETERS]), { maxLength: 6 }),
  query: fc.array(parameter(PATIENT_PARAMETERS), { maxLength: 2 }),
  contentType: fc.constantFrom(...FORM_CONTENT_TYPES),
  prefer,
  principal,
});

describe('fuzz: search query strings never produce a 5xx', () => {
  let h: FuzzHarness;
  before(async () => {
    h = await FuzzHarness.create('search');
    await seed(h);
  });
  after(async () => {
    await h.close();
  });

  it('GET /fhir/Patient?… and /fhir/Observation?… with random parameters, modifiers, prefixes and values', async () => {
    await fuzz(h, 'get-search', searchRequest, runs(2900), async (c) => {
      const query = queryString(c.parameters);
      await h.send({
        method: c.head ? 'HEAD' : 'GET',
        url: `/fhir/${c.type}${query === '' && c.parameters.length % 2 === 0 ? '' : `?${query}`}`,
        headers: { authorization: c.principal, ...(c.prefer ? { prefer: c.prefer } : {}) },
      });
    });
  });

  it('POST /fhir/<type>/_search with form bodies', async () => {
    await fuzz(h, 'post-search', formSearchRequest, runs(900), async (c) => {
      const query = queryString(c.query);
      await h.send({
        method: 'POST',
        url: `/fhir/${c.type}/_search${query === '' ? '' : `?${query}`}`,
        headers: {
          authorization: c.principal,
          'content-type': c.contentType,
          ...(c.prefer ? { prefer: c.prefer } : {}),
        },
        payload: queryString(c.form),
      });
    });
  });
});

/** Patients and Observations for the searches to find, and real paging cursors to misuse. */
async function seed(h: FuzzHarness): Promise<void> {
  const families = ['Smith', 'smith', 'Smyth', 'Zoë', "O'Brien", '100%_\\', 'Jones', '中文'];
  for (let i = 0; i < 12; i++) {
    const response = await h.t.fhir('PUT', `/fhir/Patient/fuzz-s-${i}`, {
      resourceType: 'Patient',
      id: `fuzz-s-${i}`,
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber(i + 1) }],
      name: [{ family: families[i % families.length], given: ['Fuzz', `N${i}`] }],
      gender: i % 2 === 0 ? 'female' : 'male',
      birthDate: `19${String(50 + i).padStart(2, '0')}-0${(i % 9) + 1}-1${i % 10}`,
      active: i % 3 !== 0,
    });
    if (response.statusCode >= 300)
      throw new Error(`seeding Patient failed: ${response.statusCode} ${response.body}`);
  }
  for (let i = 0; i < 20; i++) {
    const response = await h.t.fhir('PUT', `/fhir/Observation/fuzz-s-${i}`, {
      resourceType: 'Observation',
      id: `fuzz-s-${i}`,
      status: 'final',
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
          ],
        },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: i % 2 === 0 ? '8867-4' : '29463-7' }] },
      subject: { reference: `Patient/fuzz-s-${i % 12}` },
      effectiveDateTime: `2026-0${(i % 9) + 1}-0${(i % 9) + 1}T10:00:00Z`,
      valueQuantity: { value: 5.4 + i, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    });
    if (response.statusCode >= 300)
      throw new Error(`seeding Observation failed: ${response.statusCode} ${response.body}`);
  }
  for (const url of [
    '/fhir/Patient?_count=2',
    '/fhir/Observation?_count=3&_sort=date',
    '/fhir/Patient/_history?_count=2',
  ]) {
    const response = await h.t.fhir('GET', url);
    const body: unknown = response.statusCode === 200 ? JSON.parse(response.body) : undefined;
    const links = isObject(body) && Array.isArray(body.link) ? body.link : [];
    for (const link of links) {
      if (isObject(link) && link.relation === 'next' && typeof link.url === 'string') {
        const cursor = new URL(link.url).searchParams.get('_cursor');
        if (cursor) issuedCursors.push(cursor);
      }
    }
  }
}
