import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock, NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM } from '@carebridge/domain';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { RequestOptions } from '../../src/requests/index.js';
import { createTestDatabase, type TestDatabaseKind } from '../support/databases.js';
import { MemoryAuditRecorder, TestPrincipals, patientLogin, staff } from '../support/principals.js';
import { json, outcomeCodes, testConfig, type TestApp } from '../support/test-app.js';
import { groups, value, type ParameterLike, type ParametersLike } from '../exchange/support.js';

export { groups, value, type ParameterLike, type ParametersLike };

/**
 * A small world for requests. Two trusts (Kingsmere RZZ, Riverside RYY) and two practices: Quayside
 * (Y99901, commissioned by the QZZ ICB) and Lowbridge (Y99902, by QYY). Patients p1 and p3 are
 * registered at Quayside, p2 at Lowbridge. Kingsmere treats p1 and p2 (an active episode of care);
 * nobody at either trust treats p3. All NHS numbers are in the 999 test range.
 */
export const P1_NHS = '9990000018';

const ods = (code: string) => [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: code }];
const person = (id: string, nhs: string, practice: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
  name: [{ use: 'official', family: 'Ó Briain', given: ['Zoë', 'Anne'] }],
  birthDate: '1950-05-17',
  generalPractitioner: [{ reference: `Organization/${practice}` }],
});
const episode = (id: string, patient: string, organisation: string) => ({
  resourceType: 'EpisodeOfCare',
  id,
  status: 'active',
  patient: { reference: `Patient/${patient}` },
  managingOrganization: { reference: `Organization/${organisation}` },
});

const WORLD: Array<Record<string, unknown> & { resourceType: string; id: string }> = [
  { resourceType: 'Organization', id: 'icb-qzz', name: 'Quayside ICB', identifier: ods('QZZ') },
  { resourceType: 'Organization', id: 'icb-qyy', name: 'Lowbridge ICB', identifier: ods('QYY') },
  { resourceType: 'Organization', id: 'trust', name: 'Kingsmere Hospitals', identifier: ods('RZZ') },
  { resourceType: 'Organization', id: 'trust-2', name: 'Riverside Hospital', identifier: ods('RYY') },
  {
    resourceType: 'Organization',
    id: 'practice-a',
    name: 'Quayside Surgery',
    identifier: ods('Y99901'),
    partOf: { reference: 'Organization/icb-qzz' },
  },
  {
    resourceType: 'Organization',
    id: 'practice-b',
    name: 'Lowbridge Practice',
    identifier: ods('Y99902'),
    partOf: { reference: 'Organization/icb-qyy' },
  },
  person('p1', P1_NHS, 'practice-a'),
  person('p2', '9990000026', 'practice-b'),
  person('p3', '9990000034', 'practice-a'),
  episode('ep-1', 'p1', 'trust'),
  episode('ep-2', 'p2', 'trust'),
  episode('ep-3', 'p1', 'trust-2'),
];

type Call = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  who: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<LightMyRequestResponse>;

export interface RequestsWorld {
  t: TestApp;
  auth: Record<string, string>;
  /** Any FHIR call as one of the users of the world (`consultant`, `gpA`, …). */
  call: Call;
  /** POSTs a request operation (`$create-request`, …) as `who`. */
  post(
    operation: string,
    who: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  respond(who: string, body: ParametersLike): Promise<LightMyRequestResponse>;
  update(who: string, body: ParametersLike): Promise<LightMyRequestResponse>;
  /** The entries of `$request-worklist` or `$request-tracker` (answered 200), with an optional `?query`. */
  list(operation: string, who: string, query?: string): Promise<ParameterLike[][]>;
}

function worldCalls(call: Call): Omit<RequestsWorld, 't' | 'auth'> {
  const post: RequestsWorld['post'] = (operation, who, body, headers) =>
    call('POST', `/fhir/${operation}`, who, body, headers);
  return {
    call,
    post,
    respond: (who, body) => post('$respond-to-request', who, body),
    update: (who, body) => post('$update-request', who, body),
    async list(operation, who, query = '') {
      const response = await call('GET', `/fhir/${operation}${query}`, who);
      assert.equal(response.statusCode, 200, response.body);
      return groups(json<ParametersLike>(response), 'entry');
    },
  };
}

/**
 * The world for the tests of one `describe`: built before them and closed after. The answer stands
 * for the world while those tests run.
 */
export function useRequestsWorld(
  kind: TestDatabaseKind,
  options?: Partial<RequestOptions>,
  config?: Partial<Config>,
): RequestsWorld {
  let world: RequestsWorld | undefined;
  before(async () => {
    world = await requestsWorld(kind, options, config);
  });
  after(() => world?.t.close());
  const current = (): RequestsWorld => {
    if (!world) throw new Error('The requests world is built in before(); use it inside a test.');
    return world;
  };
  return {
    get t() {
      return current().t;
    },
    get auth() {
      return current().auth;
    },
    ...worldCalls((...args) => current().call(...args)),
  };
}

/** Asserts a refusal: its HTTP status and the OperationOutcome's one code. */
export function assertRefused(response: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.deepEqual(outcomeCodes(response), [code]);
}

/**
 * The test app (as createTestApp builds it) with request options, and the world above. `config`
 * replaces parts of the test configuration (the local agreements loaded from the environment, say).
 */
export async function requestsWorld(
  kind: TestDatabaseKind,
  options?: Partial<RequestOptions>,
  config: Partial<Config> = {},
): Promise<RequestsWorld> {
  const database = await createTestDatabase(kind);
  const clock = new ManualClock('2026-03-02T10:00:00.000Z');
  const principals = new TestPrincipals();
  const audit = new MemoryAuditRecorder();
  const app = await buildApp(
    { ...testConfig(), ...config },
    {
      db: database.db,
      clock,
      authenticate: principals.authenticate,
      audit,
      ...(options ? { requests: options } : {}),
    },
  );
  const t: TestApp = {
    app,
    clock,
    database,
    principals,
    audit,
    fhir(method, url, body, headers = {}) {
      return app.inject({
        method,
        url,
        headers: {
          authorization: 'Bearer test:integration',
          ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
  const response = await t.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: WORLD.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  });
  if (response.statusCode !== 200) throw new Error(`world: ${response.statusCode} ${response.body}`);
  const auth = {
    consultant: principals.register(
      'consultant',
      staff('consultant', 'trust', { displayName: 'Dr Ada Jones' }),
    ),
    secretary: principals.register('secretary', staff('secretary', 'trust')),
    consultant2: principals.register('consultant2', staff('consultant', 'trust-2')),
    gpA: principals.register('gpA', staff('gp', 'practice-a', { displayName: 'Dr Sam Patel' })),
    adminA: principals.register('adminA', staff('practice-admin', 'practice-a')),
    gpB: principals.register('gpB', staff('gp', 'practice-b')),
    pharmacist: principals.register('pharmacist', staff('pharmacist', 'practice-a')),
    ops: principals.register('ops', staff('ops', 'icb-qzz')),
    patient1: principals.register('patient1', patientLogin('p1')),
  };
  return {
    t,
    auth,
    ...worldCalls((method, url, who, body, headers = {}) =>
      t.fhir(method, url, body, { authorization: auth[who as keyof typeof auth] ?? '', ...headers }),
    ),
  };
}

/** Builds a Parameters body. */
export const parametersOf = (...parameter: ParameterLike[]): ParametersLike => ({
  resourceType: 'Parameters',
  parameter,
});
export const p = {
  str: (name: string, valueString: string): ParameterLike => ({ name, valueString }),
  code: (name: string, valueCode: string): ParameterLike => ({ name, valueCode }),
  ref: (name: string, reference: string): ParameterLike => ({ name, valueReference: { reference } }),
  bool: (name: string, valueBoolean: boolean): ParameterLike => ({ name, valueBoolean }),
  date: (name: string, valueDate: string) => ({ name, valueDate }) as ParameterLike,
  dateTime: (name: string, valueDateTime: string) => ({ name, valueDateTime }) as ParameterLike,
};

export interface NewRequest {
  patient?: string;
  owner?: string;
  category: string;
  reason?: string;
  circumstances?: string[];
  careContext?: string;
  due?: string;
  priority?: string;
  specialty?: string;
}

export function requestBody(request: NewRequest): ParametersLike {
  return parametersOf(
    p.ref('patient', `Patient/${request.patient ?? 'p1'}`),
    p.ref('owner', `Organization/${request.owner ?? 'practice-a'}`),
    p.code('category', request.category),
    p.str('reason', request.reason ?? 'Asked by the hospital'),
    ...(request.circumstances ?? []).map((c) => p.code('circumstance', c)),
    ...(request.careContext ? [p.code('care-context', request.careContext)] : []),
    ...(request.due ? [p.date('due', request.due)] : []),
    ...(request.priority ? [p.code('priority', request.priority)] : []),
    p.str('specialty', request.specialty ?? 'Cardiology'),
  );
}

/** Creates a request and returns its id and the answer's `request` group. */
export async function createRequest(
  world: RequestsWorld,
  who: string,
  request: NewRequest,
): Promise<{ id: string; request: ParameterLike[]; body: ParametersLike }> {
  const response = await world.call('POST', '/fhir/$create-request', who, requestBody(request));
  if (response.statusCode !== 201) throw new Error(`create: ${response.statusCode} ${response.body}`);
  const body = json<ParametersLike>(response);
  const group = groups(body, 'request')[0] ?? [];
  return { id: String(value(group, 'request')), request: group, body };
}

export const action = (request: string, name: string, ...extra: ParameterLike[]): ParametersLike =>
  parametersOf(p.str('request', request), p.code('action', name), ...extra);

/** A sub-group of a group (the `responsibility` part of a request, say). */
export function part(parts: readonly ParameterLike[] | undefined, name: string): ParameterLike[] {
  return parts?.find((candidate) => candidate.name === name)?.part ?? [];
}

export function all(parts: readonly ParameterLike[] | undefined, name: string): ParameterLike[][] {
  return (parts ?? [])
    .filter((candidate) => candidate.name === name)
    .map((candidate) => candidate.part ?? []);
}
