import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  asHeaderValue,
  deepNesting,
  encodeUrlPart,
  mutation,
  nastyString,
  noise,
  serialize,
  sometimes,
  mutate,
} from './arbitraries.js';
import {
  EXAMPLE_TYPES,
  FuzzHarness,
  fuzz,
  isObject,
  officialExamples,
  runs,
  type OfficialExample,
} from './support.js';

/**
 * Property: whatever a client writes — official R4 examples with keys deleted, duplicated and
 * renamed, values swapped for other JSON types, hostile strings, impossible dates and numbers,
 * deep nesting and huge arrays, or bytes that are not JSON at all — the answer is never a 5xx,
 * every 4xx is an OperationOutcome of catalogue codes and every 2xx body is JSON.
 */
const examples: OfficialExample[] = officialExamples();
const PUT_IDS = ['fuzz-put-1', 'fuzz-put-2', 'fuzz-put-3'];
const PREFER = [
  undefined,
  'return=minimal',
  'return=OperationOutcome',
  'return=representation',
  'handling=lenient',
];

const example = fc.nat({ max: examples.length - 1 }).map((index) => examples[index] as OfficialExample);
const mutations = fc.array(mutation, { minLength: 0, maxLength: 5 });
const otherType = sometimes(
  fc.constantFrom(...EXAMPLE_TYPES, 'Binary', 'Bundle', 'Account', 'patient'),
  0.12,
);

describe('fuzz: mutated resources and garbage bodies never produce a 5xx', () => {
  let h: FuzzHarness;
  before(async () => {
    h = await FuzzHarness.create('resources');
  });
  after(async () => {
    await h.close();
  });

  it('POST (create and $validate) of mutated official R4 examples', async () => {
    const arbitrary = fc.record({
      example,
      mutations,
      urlType: otherType,
      validate: fc.boolean(),
      prefer: fc.constantFrom(...PREFER),
    });
    await fuzz(h, 'post-mutated-examples', arbitrary, runs(2200), async (c) => {
      const body = serialize(mutate(c.example.resource, c.mutations));
      const type = c.urlType ?? c.example.resourceType;
      await h.send({
        method: 'POST',
        url: c.validate ? `/fhir/${type}/$validate` : `/fhir/${type}`,
        headers: { 'content-type': 'application/fhir+json', ...(c.prefer ? { prefer: c.prefer } : {}) },
        payload: body,
      });
    });
  });

  it('PUT (create-or-update) of mutated official R4 examples', async () => {
    const arbitrary = fc.record({
      example,
      mutations,
      id: fc.constantFrom(...PUT_IDS),
      urlId: sometimes(fc.oneof(fc.constantFrom(...PUT_IDS, 'a'.repeat(64), 'x.y-z'), nastyString), 0.15),
      ifMatch: sometimes(fc.constantFrom('W/"1"', 'W/"2"', '"1"', 'W/"0"', '*', 'garbage'), 0.25),
    });
    await fuzz(h, 'put-mutated-examples', arbitrary, runs(1300), async (c) => {
      const document = mutate({ ...c.example.resource, id: c.id }, c.mutations);
      const bodyId = isObject(document) && typeof document.id === 'string' ? document.id : c.id;
      const urlId = encodeUrlPart(c.urlId ?? bodyId, 'encoded');
      await h.send({
        method: 'PUT',
        url: `/fhir/${c.example.resourceType}/${urlId}`,
        headers: { 'content-type': 'application/fhir+json', ...(c.ifMatch ? { 'if-match': c.ifMatch } : {}) },
        payload: serialize(document),
      });
    });
  });

  it('bodies that are not JSON, or not what the content type says', async () => {
    await fuzz(h, 'garbage-bodies', garbageRequest, runs(1600), async (c) => {
      const headers: Record<string, string> = {};
      if (c.contentType !== null) headers['content-type'] = c.contentType;
      await h.send({ method: c.method, url: c.url, headers, payload: c.body });
    });
  });
});

const patientText = JSON.stringify({
  resourceType: 'Patient',
  name: [{ family: 'Garbage', given: ['Body'] }],
  gender: 'unknown',
  birthDate: '1980-05-05',
});

/** Bodies at byte level: random bytes, broken and re-encoded JSON, wrong lengths, with any content type. */
const garbageBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
  fc.nat({ max: patientText.length }).map((cut) => Buffer.from(patientText.slice(0, cut))),
  fc
    .record({ at: fc.nat({ max: patientText.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) })
    .map(({ at, byte }) => {
      const bytes = Buffer.from(patientText);
      bytes[at] = byte;
      return bytes;
    }),
  fc.constantFrom(
    Buffer.from(`\ufeff${patientText}`),
    Buffer.from(patientText, 'utf16le'),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(patientText, 'utf16le')]),
    Buffer.from(`${patientText}garbage`),
    Buffer.from(`${patientText}${patientText}`),
    Buffer.from(`[${patientText}]`),
    Buffer.from(patientText.replace('Garbage', 'Garb\u0000age')),
    Buffer.from(patientText.replace('"Garbage"', '"\\ud800"')),
    Buffer.from(patientText.replace('"Garbage"', '"\\u0000"')),
    Buffer.from(patientText.replace('"Garbage"', '"Garb\\xage"')),
    Buffer.from(patientText.replace('"Garbage"', "'Garbage'")),
    Buffer.from(patientText.replace('1980-05-05', '1980-05-05", "birthDate": "1990-01-01')),
    Buffer.from('{"resourceType":"Patient","__proto__":{"polluted":true}}'),
    Buffer.from('{"resourceType":"Patient","constructor":{"prototype":{"polluted":true}}}'),
    Buffer.from(''),
    Buffer.from(' '),
    Buffer.from('null'),
    Buffer.from('0'),
    Buffer.from('"Patient"'),
    Buffer.from('[]'),
    Buffer.from('{}'),
    Buffer.from('NaN'),
    Buffer.from('{"resourceType":"Patient","multipleBirthInteger":1e309}'),
    Buffer.from('{"resourceType":"Patient","multipleBirthInteger":-0}'),
    Buffer.from(' '.repeat(100_000)),
    Buffer.from(`{"resourceType":"Patient","name":[{"family":"${noise(200_000, 7)}"}]}`),
    Buffer.from(`{"resourceType":"Patient","gender":"male"${',"gender":"female"'.repeat(5_000)}}`),
    Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc]),
    Buffer.from('resourceType=Patient&name=x'),
    Buffer.from('<Patient xmlns="http://hl7.org/fhir"/>'),
  ),
  deepNesting.map((deep) => Buffer.from(`{"resourceType":"Patient","extension":[${deep.text}]}`)),
  deepNesting.map((deep) => Buffer.from(deep.text)),
);

const CONTENT_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  'application/fhir+json; charset=utf-8',
  'application/fhir+json; charset=utf-16',
  'application/fhir+json; charset=latin1',
  'application/fhir+json; fhirVersion=4.0',
  'application/fhir+json;;;',
  'APPLICATION/FHIR+JSON',
  'application/fhir+xml',
  'application/xml',
  'text/plain',
  'text/json',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  'json',
  '',
  ';',
];

const garbageRequest = fc.record({
  method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET') as fc.Arbitrary<
    'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET'
  >,
  url: fc.constantFrom(
    '/fhir/Patient',
    '/fhir/Patient/fuzz-put-1',
    '/fhir',
    '/fhir/Patient/_search',
    '/fhir/Patient/$validate',
    '/fhir/Observation',
  ),
  contentType: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), nastyString.map(asHeaderValue)), {
    freq: 10,
  }),
  body: garbageBody,
});
