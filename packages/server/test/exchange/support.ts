import { NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM } from '@carebridge/domain';
import { P1_NHS, dischargeSummary, type DocumentOptions } from '../../../../test/fixtures/documents.mjs';
import { after, before } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { TestDatabaseKind } from '../support/databases.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { staff, patientLogin } from '../support/principals.js';
import { CONNECTION_TYPE_SYSTEM } from '../../src/exchange/routing.js';

/**
 * A small exchange world: a trust (RZZ) that sends, practices A (Y99901) and B (Y99902) on this
 * Carebridge, an external practice (Y99903) reached through a mailbox, the holding practice
 * (Y99900). Patient p1 is registered at A, p2 at the external practice, p3 nowhere.
 */
export { P1_NHS, dischargeSummary, type DocumentOptions };
export const P2_NHS = '9990000026';
export const P3_NHS = '9990000034';

const ods = (code: string) => [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: code }];
const person = (id: string, nhs: string, practice?: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
  name: [{ use: 'official', family: 'Ó Briain', given: ['Zoë', 'Anne'] }],
  birthDate: '1950-05-17',
  ...(practice ? { generalPractitioner: [{ reference: `Organization/${practice}` }] } : {}),
});

const WORLD: Array<Record<string, unknown> & { resourceType: string; id: string }> = [
  { resourceType: 'Organization', id: 'trust', name: 'Kingsmere Hospitals', identifier: ods('RZZ') },
  { resourceType: 'Organization', id: 'practice-a', name: 'Quayside', identifier: ods('Y99901') },
  { resourceType: 'Organization', id: 'practice-b', name: 'Lowbridge', identifier: ods('Y99902') },
  { resourceType: 'Organization', id: 'holding', name: 'Holding practice', identifier: ods('Y99900') },
  {
    resourceType: 'Endpoint',
    id: 'ext-mailbox',
    status: 'active',
    connectionType: { system: CONNECTION_TYPE_SYSTEM, code: 'mailbox' },
    payloadType: [{ text: 'FHIR document' }],
    address: 'Y99903',
  },
  {
    resourceType: 'Organization',
    id: 'practice-ext',
    name: 'Elsewhere Surgery',
    identifier: ods('Y99903'),
    endpoint: [{ reference: 'Endpoint/ext-mailbox' }],
  },
  person('p1', P1_NHS, 'practice-a'),
  person('p2', P2_NHS, 'practice-ext'),
  person('p3', P3_NHS),
];

/** More patients (same demographics as p1, other NHS numbers), each registered at a practice or none. */
export async function addPatients(
  t: TestApp,
  patients: ReadonlyArray<{ id: string; nhs: string; practice?: string }>,
): Promise<void> {
  const response = await t.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: patients.map((p) => ({
      resource: person(p.id, p.nhs, p.practice),
      request: { method: 'PUT', url: `Patient/${p.id}` },
    })),
  });
  if (response.statusCode !== 200) throw new Error(`patients: ${response.statusCode} ${response.body}`);
}

/** A Parameters body for $submit-document with extra parameters (hold-for-release, copies). */
export function submission(document: unknown, extra: ParameterLike[] = []): unknown {
  return { resourceType: 'Parameters', parameter: [{ name: 'document', resource: document }, ...extra] };
}

export const HOLD_FOR_RELEASE: ParameterLike = { name: 'hold-for-release', valueBoolean: true };

export async function buildExchangeWorld(t: TestApp): Promise<Record<string, string>> {
  const response = await t.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: WORLD.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  });
  if (response.statusCode !== 200) throw new Error(`world: ${response.statusCode} ${response.body}`);
  return {
    consultant: t.principals.register('consultant', staff('consultant', 'trust')),
    secretary: t.principals.register('secretary', staff('secretary', 'trust')),
    gpA: t.principals.register('gpA', staff('gp', 'practice-a')),
    adminA: t.principals.register('adminA', staff('practice-admin', 'practice-a')),
    gpB: t.principals.register('gpB', staff('gp', 'practice-b')),
    ops: t.principals.register('ops', staff('ops', 'holding')),
    patient1: t.principals.register('patient1', patientLogin('p1')),
    patient2: t.principals.register('patient2', patientLogin('p2')),
  };
}

export interface ExchangeWorld {
  t: TestApp;
  auth: Record<string, string>;
  /** Any FHIR call as one of the users of the world (`consultant`, `gpA`, `ops`, …). */
  call(method: 'GET' | 'POST', url: string, who: string, body?: unknown): Promise<LightMyRequestResponse>;
}

/**
 * The exchange world for the tests of one `describe`, built before them (with `patients` added and
 * the clock at `at`) and closed after. The answer stands for the world while those tests run; a
 * later `before` can build on it.
 */
export function useExchangeWorld(
  kind: TestDatabaseKind,
  setup: { patients?: ReadonlyArray<{ id: string; nhs: string; practice?: string }>; at?: string } = {},
): ExchangeWorld {
  let world: { t: TestApp; auth: Record<string, string> } | undefined;
  before(async () => {
    const t = await createTestApp(kind);
    world = { t, auth: await buildExchangeWorld(t) };
    if (setup.patients) await addPatients(t, setup.patients);
    if (setup.at) t.clock.set(setup.at);
  });
  after(() => world?.t.close());
  const current = () => {
    if (!world) throw new Error('The exchange world is built in before(); use it inside a test.');
    return world;
  };
  return {
    get t() {
      return current().t;
    },
    get auth() {
      return current().auth;
    },
    call: (method, url, who, body) =>
      current().t.fhir(method, url, body, { authorization: current().auth[who] ?? '' }),
  };
}

export interface ParameterLike {
  name: string;
  valueString?: string;
  valueCode?: string;
  valueInstant?: string;
  valueInteger?: number;
  valueBoolean?: boolean;
  valueReference?: { reference: string };
  part?: ParameterLike[];
}

export interface ParametersLike {
  resourceType: string;
  parameter?: ParameterLike[];
}

export function value(
  parts: readonly ParameterLike[] | undefined,
  name: string,
): string | number | boolean | undefined {
  const part = parts?.find((p) => p.name === name);
  return (
    part?.valueString ??
    part?.valueCode ??
    part?.valueInstant ??
    part?.valueInteger ??
    part?.valueBoolean ??
    part?.valueReference?.reference
  );
}

export function groups(parameters: ParametersLike, name: string): ParameterLike[][] {
  return (parameters.parameter ?? []).filter((p) => p.name === name).map((p) => p.part ?? []);
}

export const docParam = (documentId: string, extra: ParameterLike[] = []): ParametersLike => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'document', valueString: documentId }, ...extra],
});
