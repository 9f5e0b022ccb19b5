import { once } from 'node:events';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createTestApp,
  json,
  outcomeCodes,
  outcomeExpressions,
  patient,
  type TestApp,
} from '../support/test-app.js';

describe('HTTP edges: media types, limits, malformed input and validation', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('pglite', { maxBodyBytes: 64 * 1024 });
  });
  after(async () => {
    await t.close();
  });

  it('an unsupported media type answers 415 with an OperationOutcome', async () => {
    const response = await t.fhir('POST', '/fhir/Patient', '<Patient/>', {
      'content-type': 'application/fhir+xml',
    });
    assert.equal(response.statusCode, 415);
    assert.deepEqual(outcomeCodes(response), ['unsupported-media-type']);
  });

  it('asking for XML only answers 406', async () => {
    const response = await t.fhir('GET', '/fhir/metadata', undefined, { accept: 'application/fhir+xml' });
    assert.equal(response.statusCode, 406);
    assert.deepEqual(outcomeCodes(response), ['not-acceptable']);
  });

  it('a body over the size limit answers 413', async () => {
    const big = patient('9990000018', {
      text: {
        status: 'generated',
        div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(70_000)}</div>`,
      },
    });
    const response = await t.fhir('POST', '/fhir/Patient', big);
    assert.equal(response.statusCode, 413);
    assert.deepEqual(outcomeCodes(response), ['body-too-large']);
  });

  it('malformed JSON answers 400 invalid-json, never 500', async () => {
    const response = await t.fhir('POST', '/fhir/Patient', '{"resourceType": "Patient",');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(outcomeCodes(response), ['invalid-json']);
  });

  it('a prototype-pollution key is refused as invalid JSON', async () => {
    const response = await t.fhir('POST', '/fhir/Patient', '{"resourceType":"Patient","__proto__":{"x":1}}');
    assert.equal(response.statusCode, 400);
  });

  it('a 1,000-deep extension bomb answers 400 nesting-too-deep', async () => {
    let extension: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
    for (let i = 0; i < 1000; i++) extension = { url: 'http://example.org/nested', extension: [extension] };
    const response = await t.fhir('POST', '/fhir/Patient', {
      resourceType: 'Patient',
      extension: [extension],
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(outcomeCodes(response), ['nesting-too-deep']);
  });

  it('every validation fault is reported at once, each with its FHIRPath', async () => {
    const response = await t.fhir('POST', '/fhir/Patient', {
      resourceType: 'Patient',
      gender: 'banana',
      birthDate: '1970-02-30',
      colour: 'blue',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000019' }],
    });
    assert.equal(response.statusCode, 400);
    const expressions = outcomeExpressions(response);
    for (const expected of [
      'Patient.gender',
      'Patient.birthDate',
      'Patient.colour',
      'Patient.identifier[0].value',
    ]) {
      assert.ok(
        expressions.includes(expected),
        `expected a problem at ${expected}, got ${expressions.join(', ')}`,
      );
    }
    assert.ok(outcomeCodes(response).includes('invalid-nhs-number'));
    assert.equal(json(await t.fhir('GET', '/fhir/Patient?_summary=count')).total, 0, 'nothing was stored');
  });

  it('an unknown route answers 404 as an OperationOutcome', async () => {
    const response = await t.fhir('GET', '/nowhere');
    assert.equal(response.statusCode, 404);
    assert.deepEqual(outcomeCodes(response), ['route-not-found']);
  });

  it('a malformed escape in the URL answers 400 invalid-url as an OperationOutcome', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/fhir/%zz/' });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(outcomeCodes(response), ['invalid-url']);
  });

  it('an X-Request-ID that is too long or not visible ASCII is refused, not stored', async () => {
    const long = await t.fhir('POST', '/fhir/Patient', patient(), { 'x-request-id': 'k'.repeat(201) });
    assert.equal(long.statusCode, 400);
    assert.deepEqual(outcomeCodes(long), ['invalid-header']);
    assert.deepEqual(outcomeExpressions(long), ['X-Request-ID']);
  });

  it('POST to an instance is not allowed (405)', async () => {
    const response = await t.fhir('POST', '/fhir/Patient/abc', patient());
    assert.equal(response.statusCode, 405);
  });

  it('healthz answers 200 when the database is reachable', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
  });

  it('metrics are exposed in Prometheus format', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /carebridge_http_request_duration_seconds/);
  });

  it('echoes X-Request-ID and sets security headers', async () => {
    const response = await t.fhir('GET', '/fhir/metadata', undefined, { 'x-request-id': 'trace-123' });
    assert.equal(response.headers['x-request-id'], 'trace-123');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['cache-control'], 'no-store');
  });
});

describe('HTTP edges over a real socket', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await createTestApp('pglite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await t.close();
  });

  /** Writes raw bytes, as a broken or hostile client would, and reads the whole answer. */
  async function rawExchange(request: string): Promise<string> {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(request);
    await once(socket, 'close');
    return Buffer.concat(chunks).toString('utf8');
  }

  it('answers a request HTTP cannot parse with a 400 OperationOutcome, not a framework error', async () => {
    const answer = await rawExchange('GET /fhir/Patient HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /content-type: application\/fhir\+json/i);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      resourceType: string;
      issue: Array<{ details?: { coding?: Array<{ code?: string }> } }>;
    };
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0]?.details?.coding?.[0]?.code, 'malformed-request');
  });

  it('answers headers too large with 431: an OperationOutcome, or no body at all to a HEAD', async () => {
    const long = `/fhir/Patient?name=${'x'.repeat(20_000)}`;
    const get = await rawExchange(`GET ${long} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(get, /^HTTP\/1\.1 431 /);
    assert.match(get, /"headers-too-large"/);
    const head = await rawExchange(`HEAD ${long} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(head, /^HTTP\/1\.1 431 /);
    assert.ok(head.endsWith('\r\n\r\n'), 'a HEAD answer ends with its headers');
  });

  it('routes a raw dot segment under /fhir to the FHIR API, never to the web app', async () => {
    const answer = await rawExchange('GET /fhir/%2e%2e/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(answer, /content-type: application\/fhir\+json/i);
    assert.doesNotMatch(answer, /<!doctype/i);
  });
});
