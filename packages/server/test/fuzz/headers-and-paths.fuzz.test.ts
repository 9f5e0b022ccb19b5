import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import {
  asHeaderValue,
  encodeUrlPart,
  jsonPatchDocument,
  longString,
  nastyDate,
  nastyString,
  serialize,
  sometimes,
  urlEncoding,
} from './arbitraries.js';
import { AUTHORIZATION, FuzzHarness, fuzz, NHS_NUMBER_SYSTEM, nhsNumber, runs } from './support.js';

/**
 * Properties: random conditional and content-negotiation headers (If-Match, If-None-Match,
 * If-None-Exist, Prefer, Accept, Content-Type, X-Request-ID — very long, unicode, reused) on reads,
 * writes, patches with random JSON Patch documents and deletes; and random paths under /fhir
 * (types, ids with odd characters, _history with bad versions, $operations) with any method —
 * never produce a 5xx.
 */

/** A header value as a client might send it: a known form, or any text as it would arrive. */
function headerValue(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: nastyString.map(asHeaderValue) },
    { weight: 1, arbitrary: longString },
  );
}

const ETAGS = [
  'W/"1"',
  'W/"2"',
  'W/"3"',
  '"1"',
  'W/"0"',
  'W/"-1"',
  'W/"1.5"',
  'W/"99999999999999999"',
  'W/"9999999999999999"',
  '*',
  '',
  'W/',
  'W/""',
  '1',
  'W/"1", W/"2"',
  'w/"1"',
  ' W/"1" ',
];

const CONDITIONS = [
  'identifier=x',
  `identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber(1)}`,
  `Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber(1)}`,
  'name=Header',
  'family=Header&gender=female',
  '_id=fuzz-h-1',
  'zz=1',
  'name:zz=x',
  'birthdate=2023-02-30',
  '_count=1',
  '',
  '?',
  '&&&',
  '=',
  'name',
  'Patient?',
  'Observation?code=x',
  "name=' or 1=1 --",
  'name=%',
];

const PREFERS = [
  'return=minimal',
  'return=representation',
  'return=OperationOutcome',
  'handling=strict',
  'handling=lenient',
  'respond-async',
  'return=minimal, handling=lenient',
  'return="minimal"',
  'return',
  '=',
  ';;,,',
];

const ACCEPTS = [
  'application/fhir+json',
  'application/json',
  '*/*',
  'application/*',
  'application/fhir+xml',
  'application/xml',
  'text/html',
  'text/*',
  'application/fhir+xml;q=1, application/json;q=0.5',
  'application/fhir+json; fhirVersion=4.0',
  'json',
  ';',
  ',',
  '',
];

const CONTENT_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  'application/fhir+json; charset=utf-8',
  'application/fhir+xml',
  'text/plain',
  '',
];

const REQUEST_IDS = [
  'fuzz-rid-1',
  'fuzz-rid-2',
  'fuzz-rid-3',
  '0b7d3c1e-5a4f-4c2b-9f1e-000000000009',
  'é',
  '',
];

const headers = fc.record(
  {
    'if-match': headerValue(ETAGS),
    'if-none-match': headerValue(ETAGS),
    'if-none-exist': headerValue(CONDITIONS),
    prefer: headerValue(PREFERS),
    accept: headerValue(ACCEPTS),
    'content-type': headerValue(CONTENT_TYPES),
    'x-request-id': headerValue(REQUEST_IDS),
  },
  { requiredKeys: [] },
);

const KINDS = [
  'read',
  'vread',
  'search',
  'create',
  'update',
  'patch',
  'delete',
  'history',
  'batch',
  'metadata',
  'validate',
] as const;

const AUTHORIZATIONS = [
  AUTHORIZATION.gp,
  AUTHORIZATION.patient,
  'Bearer test:',
  'Bearer test:nobody',
  'Bearer test:integration ',
  'bearer test:integration',
  'Bearer',
  'Bearer ',
  'Basic dXNlcjpwYXNzd29yZA==',
  'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  '',
];

/** Who the request claims to be: usually the integration, sometimes anyone or no one (undefined). */
const authorization: fc.Arbitrary<string | undefined | null> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...AUTHORIZATIONS) },
  { weight: 1, arbitrary: nastyString.map(asHeaderValue) },
  { weight: 1, arbitrary: longString.map((token) => `Bearer ${token}`) },
);

/** Puts the chosen Authorization on a request (null keeps the harness's default, the integration). */
function withAuthorization(
  headers: Record<string, string | undefined>,
  chosen: string | undefined | null,
): InjectOptions['headers'] {
  return (chosen === null ? headers : { ...headers, authorization: chosen }) as InjectOptions['headers'];
}

const headerRequest = fc.record({
  authorization,
  kind: fc.constantFrom(...KINDS),
  headers,
  target: fc.constantFrom('fuzz-h-1', 'fuzz-h-2', 'fuzz-h-missing', 'fuzz-h-del'),
  family: fc.oneof(fc.constant('Header'), nastyString),
  patch: jsonPatchDocument,
});

function patientBody(id: string | undefined, family: string): string {
  return serialize({
    resourceType: 'Patient',
    ...(id ? { id } : {}),
    name: [{ family, given: ['Fuzz'] }],
    gender: 'female',
    birthDate: '1980-01-01',
  });
}

function headerInjection(c: HeaderCase): InjectOptions {
  const request = baseRequest(c);
  const headers = { ...(request.headers as Record<string, string> | undefined), ...c.headers };
  return { ...request, headers: withAuthorization(headers, c.authorization) };
}

function baseRequest(c: HeaderCase): InjectOptions {
  const json = { 'content-type': 'application/fhir+json' };
  const base = `/fhir/Patient/${c.target}`;
  switch (c.kind) {
    case 'read':
      return { method: 'GET', url: base };
    case 'vread':
      return { method: 'GET', url: `${base}/_history/1` };
    case 'search':
      return { method: 'GET', url: '/fhir/Patient?name=Header' };
    case 'history':
      return { method: 'GET', url: `${base}/_history` };
    case 'metadata':
      return { method: 'GET', url: '/fhir/metadata' };
    case 'create':
      return {
        method: 'POST',
        url: '/fhir/Patient',
        headers: json,
        payload: patientBody(undefined, c.family),
      };
    case 'validate':
      return {
        method: 'POST',
        url: '/fhir/Patient/$validate',
        headers: json,
        payload: patientBody(undefined, c.family),
      };
    case 'update':
      return { method: 'PUT', url: base, headers: json, payload: patientBody(c.target, c.family) };
    case 'patch':
      return {
        method: 'PATCH',
        url: base,
        headers: { 'content-type': 'application/json-patch+json' },
        payload: serialize(c.patch),
      };
    case 'delete':
      return { method: 'DELETE', url: base };
    case 'batch':
      return {
        method: 'POST',
        url: '/fhir',
        headers: json,
        payload: serialize({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: JSON.parse(patientBody(c.target, c.family)),
              request: { method: 'PUT', url: `Patient/${c.target}` },
            },
          ],
        }),
      };
  }
}

interface HeaderCase {
  authorization: string | undefined | null;
  kind: (typeof KINDS)[number];
  headers: Partial<Record<string, string>>;
  target: string;
  family: string;
  patch: unknown;
}

// ---------------------------------------------------------------------------------------------
// Paths

const SEGMENTS = [
  'Patient',
  'Patient',
  'Observation',
  'Bundle',
  'Binary',
  'Account',
  'patient',
  'PATIENT',
  'metadata',
  '_history',
  '_history',
  '_search',
  '$validate',
  '$everything',
  '$meta',
  '$',
  '$$',
  '_',
  '.',
  '..',
  'fuzz-p-1',
  'fuzz-p-1',
  'fuzz-p-missing',
  '1',
  '0',
  '-1',
  '1.0',
  '01',
  'abc',
  '1e3',
  '99999999999999999',
  '9999999999999999',
  '',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(2_000),
  '%00',
  'a%00b',
  '%2F',
  '%2f',
  '%2e%2e',
  '%E0%A4%A',
  '%',
  '%%',
  '%zz',
  '%C3%A9',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%FF',
  'a%20b',
  'a;b',
  'a,b',
  '*',
  '~',
  "'",
];

const segment = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...SEGMENTS) },
  { weight: 2, arbitrary: fc.tuple(nastyString, urlEncoding).map(([text, how]) => encodeUrlPart(text, how)) },
);

const HISTORY_SINCE = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59-14:00',
  '2026-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
];

const tail = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/',
      '//',
      '?',
      '??',
      '?&',
      '?_format=xml',
      '?_format=json',
      '?_format=',
      '?_pretty=true',
      '#frag',
      ';x',
      '?_count=1',
      '?_count=-1',
      '?_count=abc',
      '?_at=2026',
      '?_list=x',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom(...HISTORY_SINCE), nastyDate), urlEncoding)
      .map(([since, how]) => `?_since=${encodeUrlPart(since, how)}`),
  },
);

const PREFIXES = [
  '/fhir/',
  '/fhir/',
  '/fhir/',
  '/fhir/',
  '/fhir//',
  '/FHIR/',
  '//fhir/',
  '/fhir/./',
  '/fhir/../fhir/',
  '/fhir;x/',
  '/',
];

const METHODS = [
  'GET',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'PROPFIND',
  'SEARCH',
] as const;

/** Paths shaped like FHIR interactions (type, id, _history, version, $operation), one part at a time gone wrong. */
const structuredSegments = fc
  .record({
    type: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('Patient', 'Observation', 'Bundle', 'Binary', 'Task') },
      { weight: 1, arbitrary: segment },
    ),
    id: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('fuzz-p-1', 'fuzz-p-missing') },
      { weight: 2, arbitrary: segment },
    ),
    shape: fc.constantFrom(
      'type',
      'instance',
      'instance',
      'history-type',
      'history-instance',
      'vread',
      'vread',
      'operation',
      'instance-operation',
      'extra',
    ),
    version: fc.oneof({ weight: 1, arbitrary: fc.constantFrom('1', '2') }, { weight: 3, arbitrary: segment }),
    operation: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom('$validate', '$everything', '$meta', '$', '_search', '_history'),
      },
      { weight: 1, arbitrary: segment },
    ),
  })
  .map((p): string[] => {
    switch (p.shape) {
      case 'type':
        return [p.type];
      case 'instance':
        return [p.type, p.id];
      case 'history-type':
        return [p.type, '_history'];
      case 'history-instance':
        return [p.type, p.id, '_history'];
      case 'vread':
        return [p.type, p.id, '_history', p.version];
      case 'operation':
        return [p.type, p.operation];
      case 'instance-operation':
        return [p.type, p.id, p.operation];
      case 'extra':
        return [p.type, p.id, '_history', p.version, p.operation];
    }
  });

const pathRequest = fc.record({
  authorization,
  prefix: fc.constantFrom(...PREFIXES),
  segments: fc.oneof(
    { weight: 3, arbitrary: structuredSegments },
    { weight: 1, arbitrary: fc.constantFrom(['_history'], ['metadata'], [], ['_history', 'x']) },
    { weight: 2, arbitrary: fc.array(segment, { maxLength: 6 }) },
  ),
  tail,
  method: fc.constantFrom(...METHODS),
  body: fc.constantFrom('patient', 'patch', 'none', 'junk'),
});

/** PATCH of an existing resource with random JSON Patch documents, usually with plain headers. */
const patchRequest = fc.record({
  target: fc.constantFrom('fuzz-h-patch', 'fuzz-h-patch', 'fuzz-h-patch', 'fuzz-h-missing', 'fuzz-h-del'),
  patch: jsonPatchDocument,
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json-patch+json') },
    { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  ),
  headers: sometimes(headers, 0.2),
});

describe('fuzz: headers and paths never produce a 5xx', () => {
  let h: FuzzHarness;
  before(async () => {
    h = await FuzzHarness.create('headers-and-paths');
    for (const id of ['fuzz-h-1', 'fuzz-h-2', 'fuzz-p-1', 'fuzz-h-patch']) {
      const response = await h.t.fhir('PUT', `/fhir/Patient/${id}`, JSON.parse(patientBody(id, 'Header')));
      if (response.statusCode >= 300)
        throw new Error(`seeding failed: ${response.statusCode} ${response.body}`);
    }
  });
  after(async () => {
    await h.close();
  });

  it('random If-Match, If-None-Match, If-None-Exist, Prefer, Accept, Content-Type and X-Request-ID headers', async () => {
    await fuzz(h, 'headers', headerRequest, runs(1700), async (c) => {
      await h.send(headerInjection(c));
    });
  });

  it('PATCH with random JSON Patch documents', async () => {
    await fuzz(h, 'patches', patchRequest, runs(900), async (c) => {
      await h.send({
        method: 'PATCH',
        url: `/fhir/Patient/${c.target}`,
        headers: { 'content-type': c.contentType, ...(c.headers ?? {}) },
        payload: serialize(c.patch),
      });
    });
  });

  it('random paths under /fhir with any method', async () => {
    await fuzz(h, 'paths', pathRequest, runs(1700), async (c) => {
      const url = `${c.prefix}${c.segments.join('/')}${c.tail}`;
      const options: InjectOptions = { method: c.method, url };
      if (c.body === 'patient' && c.method !== 'GET' && c.method !== 'HEAD') {
        const id = c.segments[1] ?? 'fuzz-p-1';
        options.headers = { 'content-type': 'application/fhir+json' };
        options.payload = patientBody(decodeSafely(id), 'Path');
      } else if (c.body === 'patch' && c.method !== 'GET' && c.method !== 'HEAD') {
        options.headers = { 'content-type': 'application/json-patch+json' };
        options.payload = '[{"op":"replace","path":"/gender","value":"male"}]';
      } else if (c.body === 'junk' && c.method !== 'GET' && c.method !== 'HEAD') {
        options.headers = { 'content-type': 'application/fhir+json' };
        options.payload = '{"resourceType":';
      }
      options.headers = withAuthorization(
        { ...(options.headers as Record<string, string> | undefined) },
        c.authorization,
      );
      await h.send(options);
    });
  });
});

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
