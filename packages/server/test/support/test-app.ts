import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@carebridge/domain';
import { buildApp } from '../../src/app.js';
import { DEFAULT_LIMITS, type Config, type FhirLimits, type HttpPolicy } from '../../src/config.js';
import { loadIdentityConfig } from '../../src/identity/index.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from './databases.js';
import { MemoryAuditRecorder, TestPrincipals } from './principals.js';

export interface TestApp {
  app: FastifyInstance;
  clock: ManualClock;
  database: TestDatabase;
  principals: TestPrincipals;
  audit: MemoryAuditRecorder;
  /** Sends a FHIR request; JSON bodies are serialised with the FHIR media type. */
  fhir(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * Rate limits are off in tests unless a test asks for them: the fuzz and access-matrix suites send
 * thousands of requests a second as one principal, which is exactly what a limit exists to stop.
 */
const UNLIMITED: HttpPolicy = {
  rateLimits: { userPerMinute: 0, systemPerMinute: 0, perClient: {} },
  corsOrigins: [],
};

export function testConfig(limits: Partial<FhirLimits> = {}, http: Partial<HttpPolicy> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    database: { kind: 'pglite-memory' },
    seed: 'none',
    cursorSecret: Buffer.from('test-cursor-secret-test-cursor-secret'),
    logLevel: 'silent',
    limits: { ...DEFAULT_LIMITS, ...limits },
    identity: loadIdentityConfig({}),
    http: { ...UNLIMITED, ...http },
    // Tests drive deliveries themselves (runOnce with a manual clock), never a background poller.
    transport: { worker: false, webhookSecrets: {} },
  };
}

export async function createTestApp(
  kind: TestDatabaseKind,
  limits: Partial<FhirLimits> = {},
  http: Partial<HttpPolicy> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');
  const principals = new TestPrincipals();
  const audit = new MemoryAuditRecorder();
  const app = await buildApp(testConfig(limits, http), {
    db: database.db,
    clock,
    authenticate: principals.authenticate,
    audit,
  });
  return {
    app,
    clock,
    database,
    principals,
    audit,
    fhir(method, url, body, headers = {}) {
      const isPatch = method === 'PATCH';
      return app.inject({
        method,
        url,
        headers: {
          authorization: 'Bearer test:integration',
          ...(body === undefined
            ? {}
            : { 'content-type': isPatch ? 'application/json-patch+json' : 'application/fhir+json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** The parsed JSON body of a response. */
export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}

/** The catalogue codes of an OperationOutcome response, in order. */
export function outcomeCodes(response: LightMyRequestResponse): string[] {
  const outcome = json<{
    resourceType: string;
    issue: Array<{ details?: { coding?: Array<{ code: string }> } }>;
  }>(response);
  if (outcome.resourceType !== 'OperationOutcome')
    throw new Error(`Expected an OperationOutcome, got ${outcome.resourceType}`);
  return outcome.issue.map((issue) => issue.details?.coding?.[0]?.code ?? '');
}

export function outcomeExpressions(response: LightMyRequestResponse): string[] {
  const outcome = json<{ issue: Array<{ expression?: string[] }> }>(response);
  return outcome.issue.flatMap((issue) => issue.expression ?? []);
}

export const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';

export function patient(
  nhsNumber = '9990000018',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: NHS_NUMBER, value: nhsNumber }],
    name: [{ family: 'Smith', given: ['Jane'] }],
    gender: 'female',
    birthDate: '1970-01-01',
    ...extra,
  };
}
