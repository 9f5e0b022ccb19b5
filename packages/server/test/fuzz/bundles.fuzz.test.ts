import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  asHeaderValue,
  deepNesting,
  jsonPatchDocument,
  mutate,
  mutation,
  nastyNumber,
  nastyString,
  nastyValue,
  resourceTypeName,
  serialize,
  sometimes,
} from './arbitraries.js';
import {
  FuzzHarness,
  fuzz,
  NHS_NUMBER_SYSTEM,
  nhsNumber,
  officialExamples,
  runs,
  type OfficialExample,
} from './support.js';

/**
 * Property: batch and transaction Bundles of any shape — random entry shapes and methods, urls
 * with '../', '%00', broken escapes, absolute URLs and query strings, urn:uuid references that do
 * and do not resolve, duplicate fullUrls, nested Bundles, PATCH entries whose Binary is not a
 * JSON Patch — never produce a 5xx, neither for the Bundle nor for any entry of a batch.
 */
const examples: OfficialExample[] = officialExamples();
const UUIDS = [
  'urn:uuid:0b7d3c1e-5a4f-4c2b-9f1e-000000000001',
  'urn:uuid:0b7d3c1e-5a4f-4c2b-9f1e-000000000002',
  'urn:uuid:0b7d3c1e-5a4f-4c2b-9f1e-000000000003',
];
const EXISTING = ['Patient/fuzz-b-1', 'Patient/fuzz-b-2', 'Observation/fuzz-b-obs'];

const reference = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...UUIDS) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff',
      'urn:uuid:not-a-uuid',
      'urn:oid:1.2.3.4',
      ...EXISTING,
      'Patient/does-not-exist',
      'Patient/',
      'Patient/fuzz-b-1/_history/1',
      '#contained',
      'http://example.org/fhir/Patient/1',
    ),
  },
  { weight: 1, arbitrary: nastyString },
);

const fullUrl = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...UUIDS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'urn:uuid:not-a-uuid',
      'urn:oid:1.2.3',
      'http://example.org/fhir/Patient/fuzz-b-1',
      'Patient/fuzz-b-1',
      '',
    ),
  },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: nastyValue },
);

const patientResource = fc
  .record({
    family: fc.oneof(fc.constantFrom('Bundle', 'Smith', 'Jones'), nastyString),
    gp: reference,
    org: fc.option(reference),
    nhs: fc.option(fc.nat({ max: 50 }).map(nhsNumber)),
    birthDate: fc.constantFrom('1970-01-01', '2001-02-03', '2023-02-30', '0001-01-01'),
  })
  .map((p) => ({
    resourceType: 'Patient',
    ...(p.nhs ? { identifier: [{ system: NHS_NUMBER_SYSTEM, value: p.nhs }] } : {}),
    name: [{ family: p.family, given: ['Fuzz'] }],
    birthDate: p.birthDate,
    generalPractitioner: [{ reference: p.gp }],
    ...(p.org ? { managingOrganization: { reference: p.org } } : {}),
  }));

const observationResource = fc
  .record({ subject: reference, value: nastyNumber, code: fc.constantFrom('8867-4', '29463-7', '', 'x y') })
  .map((o) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: o.code }] },
    subject: { reference: o.subject },
    effectiveDateTime: '2026-02-01T10:00:00Z',
    valueQuantity: { value: o.value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  }));

const mutatedExample = fc
  .record({ index: fc.nat({ max: examples.length - 1 }), mutations: fc.array(mutation, { maxLength: 2 }) })
  .map(({ index, mutations }) => mutate((examples[index] as OfficialExample).resource, mutations));

const binaryData = fc.oneof(
  {
    weight: 5,
    arbitrary: jsonPatchDocument.map((patch) => Buffer.from(serialize(patch)).toString('base64')),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'not base64!!',
      '',
      '====',
      'e30=',
      'W10=',
      '@@@',
      Buffer.from('[{"op":"replace","path":"/gender","value":"other"}]').toString('base64'),
      Buffer.from('[{"op":"add","path":"/__proto__/polluted","value":1}]').toString('base64'),
      Buffer.from('[{"op":"replace","path":"/id","value":"other"}]').toString('base64'),
      Buffer.from('[{"op":"test","path":"/gender","value":"female"}]').toString('base64'),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  },
  { weight: 1, arbitrary: nastyValue },
);

const binaryPatch = fc
  .record({ data: binaryData, resourceType: fc.constantFrom('Binary', 'Binary', 'Parameters', 'Patient') })
  .map((b) => ({ resourceType: b.resourceType, contentType: 'application/json-patch+json', data: b.data }));

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

const entryUrl = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'Patient',
      'Observation',
      'Organization',
      ...EXISTING,
      'Patient/fuzz-b-new',
      'Patient/fuzz-b-1/_history/1',
      'Patient/fuzz-b-1/_history/x',
      'Patient/fuzz-b-1/_history/0',
      'Patient/_history',
      'Patient/fuzz-b-1/_history',
      '_history',
      'metadata',
      'Patient?identifier=x',
      'Patient?name=Bundle',
      'Patient?_count=1',
      'Patient?_sort=zz',
      'Patient?birthdate=2023-02-30',
      'Patient?_cursor=abc.def',
      'Patient/_search',
      'Patient/$validate',
      'Patient/fuzz-b-1/$validate',
      'Patient/$everything',
      '$validate',
      'Patient/../Observation',
      '../Patient',
      './Patient',
      'Patient/..',
      'Patient/%00',
      'Patient/a%00b',
      'Patient/%E0%A4%A',
      'Patient/%',
      '%',
      '%zz',
      'Patient/a%2Fb',
      'Patient/%2e%2e',
      'http://example.org/fhir/Patient',
      'https://evil.example/Patient/1',
      'urn:uuid:0b7d3c1e-5a4f-4c2b-9f1e-000000000001',
      '/Patient',
      '//Patient',
      'Patient//fuzz-b-1',
      'Patient/fuzz-b-1/',
      'Patient?',
      '?',
      '??',
      'Patient??x',
      'Patient?a=%',
      'Patient/x?y#z',
      'Bundle',
      'Binary',
      'Account',
      'patient',
      '',
      ' ',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('Patient', 'Observation', 'Bundle', 'Binary', 'Task'),
        fc.oneof(
          fc.constantFrom('fuzz-b-1', 'fuzz-b-2', 'new-1', 'a'.repeat(64), 'a'.repeat(65)),
          nastyString,
        ),
        fc.option(fc.constantFrom('_history/1', '_history/abc', '$validate', '_history', 'x/y')),
      )
      .map(([type, id, tail]) => `${type}/${id}${tail ? `/${tail}` : ''}`),
  },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: nastyValue },
);

const entryRequest = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record(
      {
        method: fc.oneof(
          { weight: 10, arbitrary: fc.constantFrom(...METHODS) },
          { weight: 1, arbitrary: fc.constantFrom('get', 'OPTIONS', 'TRACE', '', 'CONNECT') },
          { weight: 1, arbitrary: nastyValue },
        ),
        url: entryUrl,
        ifMatch: fc.oneof(fc.constantFrom('W/"1"', 'W/"2"', '"1"', 'W/"0"', 'x'), nastyValue),
        ifNoneMatch: fc.oneof(fc.constantFrom('W/"1"', '*'), nastyValue),
        ifNoneExist: fc.oneof(
          fc.constantFrom(
            'identifier=x',
            `identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber(1)}`,
            'name=Bundle',
            'zz=1',
            '',
            '?',
            'Patient?name=x',
          ),
          nastyValue,
        ),
      },
      { requiredKeys: ['method', 'url'] },
    ),
  },
  { weight: 1, arbitrary: nastyValue },
);

const nestedBundle = fc
  .record({
    type: fc.constantFrom('batch', 'transaction', 'collection', 'document', 'searchset'),
    patient: patientResource,
    url: entryUrl,
  })
  .map((b) => ({
    resourceType: 'Bundle',
    type: b.type,
    entry: [{ fullUrl: UUIDS[0], resource: b.patient, request: { method: 'POST', url: b.url } }],
  }));

const entryResource = fc.oneof(
  { weight: 4, arbitrary: patientResource },
  { weight: 3, arbitrary: observationResource },
  { weight: 1, arbitrary: fc.constant({ resourceType: 'Organization', name: 'Fuzz Org' }) },
  { weight: 2, arbitrary: mutatedExample },
  { weight: 3, arbitrary: binaryPatch },
  { weight: 1, arbitrary: nestedBundle },
  { weight: 1, arbitrary: deepNesting.map((deep) => ({ resourceType: 'Patient', extension: [deep] })) },
  { weight: 1, arbitrary: nastyValue },
);

/**
 * An entry a server would accept in form (a real method and a routable url): Bundles made of these
 * get past planning and routing, so the entries' resources, references and patches are exercised.
 */
const plausibleEntry = fc.oneof(
  fc.record({
    fullUrl: fc.constantFrom(...UUIDS),
    resource: fc.oneof(
      { weight: 3, arbitrary: patientResource },
      { weight: 3, arbitrary: observationResource },
      { weight: 2, arbitrary: mutatedExample },
      { weight: 1, arbitrary: deepNesting.map((deep) => ({ resourceType: 'Patient', extension: [deep] })) },
    ),
    request: fc.record(
      {
        method: fc.constant('POST'),
        url: fc.constantFrom('Patient', 'Observation'),
        ifNoneExist: fc.constantFrom(
          'identifier=x',
          'name=Bundle',
          `identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber(1)}`,
        ),
      },
      { requiredKeys: ['method', 'url'] },
    ),
  }),
  fc.record({
    resource: fc.oneof(patientResource, observationResource),
    request: fc.record({
      method: fc.constant('PUT'),
      url: fc.constantFrom(...EXISTING, 'Patient/fuzz-b-new'),
    }),
  }),
  fc.record({
    resource: binaryPatch,
    request: fc.record({ method: fc.constant('PATCH'), url: fc.constantFrom(...EXISTING) }),
  }),
  fc.record({
    request: fc.record({
      method: fc.constantFrom('GET', 'DELETE'),
      url: fc.constantFrom(
        ...EXISTING,
        'Patient?name=Bundle',
        'Patient/fuzz-b-1/_history/1',
        'Observation?subject=Patient/fuzz-b-1',
      ),
    }),
  }),
);

const entry = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record(
      { fullUrl, resource: entryResource, request: entryRequest },
      { requiredKeys: ['request'] },
    ),
  },
  { weight: 1, arbitrary: nastyValue },
);

const bundle = fc.record(
  {
    resourceType: fc.oneof(
      { weight: 12, arbitrary: fc.constant('Bundle') },
      { weight: 1, arbitrary: resourceTypeName },
    ),
    type: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('batch', 'transaction') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('collection', 'document', 'searchset', 'Transaction', 'batch-response'),
      },
      { weight: 1, arbitrary: nastyValue },
    ),
    entry: fc.oneof(
      { weight: 10, arbitrary: fc.array(entry, { maxLength: 8 }) },
      { weight: 6, arbitrary: fc.array(plausibleEntry, { minLength: 1, maxLength: 5 }) },
      { weight: 1, arbitrary: nastyValue },
      { weight: 1, arbitrary: fc.array(entry, { minLength: 30, maxLength: 60 }) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 1_001, max: 1_050 })
          .map((n) => Array.from({ length: n }, () => ({ request: { method: 'GET', url: 'metadata' } }))),
      },
    ),
    id: nastyValue,
  },
  { requiredKeys: ['resourceType', 'type'] },
);

const bundleRequest = fc.record({
  bundle,
  target: fc.constantFrom('/fhir', '/fhir', '/fhir', '/fhir', '/fhir', '/fhir/Bundle', '/fhir/'),
  prefer: sometimes(
    fc.oneof(
      fc.constantFrom('return=minimal', 'return=OperationOutcome', 'handling=lenient'),
      nastyString.map(asHeaderValue),
    ),
    0.3,
  ),
  requestId: sometimes(fc.constantFrom('fuzz-bundle-1', 'fuzz-bundle-2', 'fuzz-bundle-3'), 0.15),
});

describe('fuzz: batch and transaction Bundles never produce a 5xx', () => {
  let h: FuzzHarness;
  before(async () => {
    h = await FuzzHarness.create('bundles');
    for (const [index, path] of EXISTING.entries()) {
      const [type, id] = path.split('/') as [string, string];
      const resource =
        type === 'Patient'
          ? {
              resourceType: 'Patient',
              id,
              identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber(index + 1) }],
              name: [{ family: 'Bundle' }],
            }
          : {
              resourceType: 'Observation',
              id,
              status: 'final',
              code: { text: 'x' },
              subject: { reference: 'Patient/fuzz-b-1' },
            };
      await h.t.fhir('PUT', `/fhir/${path}`, resource);
    }
  });
  after(async () => {
    await h.close();
  });

  it('POST of random batch and transaction Bundles', async () => {
    await fuzz(h, 'bundles', bundleRequest, runs(1000), async (c) => {
      const headers: Record<string, string> = { 'content-type': 'application/fhir+json' };
      if (c.prefer) headers.prefer = c.prefer;
      if (c.requestId) headers['x-request-id'] = c.requestId;
      await h.send({ method: 'POST', url: c.target, headers, payload: serialize(c.bundle) });
    });
  });
});
