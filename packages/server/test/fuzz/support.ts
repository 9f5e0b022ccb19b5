import { request as httpRequest } from 'node:http';
import { AssertionError } from 'node:assert';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { ERROR_CATALOGUE, ERROR_CODE_SYSTEM } from '@carebridge/domain';
import { patientLogin, staff } from '../support/principals.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { isObject } from './fixtures.js';

export {
  EXAMPLE_TYPES,
  isObject,
  NHS_NUMBER_SYSTEM,
  nhsNumber,
  officialExamples,
  type OfficialExample,
} from './fixtures.js';

/**
 * Shared machinery of the fuzz suites: one in-process app per test file, a checker that every
 * response goes through (no 5xx, every 4xx an OperationOutcome of catalogue codes, every 2xx body
 * JSON), counters for the summary line each test prints, and the fast-check run settings.
 *
 *   FUZZ_RUNS_MULTIPLIER=20   scales every property's number of runs (nightly)
 *   FUZZ_SEED=… FUZZ_PATH=…   replays a failure fast-check reported (seed and path from its message);
 *                             FUZZ_SEED=random explores new cases (the default seed is fixed, so a CI
 *                             run is repeatable and a red build always means a change broke something)
 *   FUZZ_SHRINK_SECONDS=30    how long to shrink a failure before reporting the smallest one found
 *   FUZZ_DATABASE=postgres    runs against PostgreSQL instead of PGlite
 *   FUZZ_REPORT_ONLY=1        diagnosis only: a broken response is recorded, not thrown, and each test
 *                             ends by listing every distinct fault it saw (the test still fails)
 */

const reportOnly = process.env.FUZZ_REPORT_ONLY === '1';
const multiplier = positiveNumber('FUZZ_RUNS_MULTIPLIER', 1);
const shrinkBudgetMs = 1000 * positiveNumber('FUZZ_SHRINK_SECONDS', 30);

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, not '${raw}'`);
  return value;
}

/** The number of runs of a property: its default budget scaled by FUZZ_RUNS_MULTIPLIER. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * multiplier));
}

/** The seed of every CI run; exploring with other seeds is `FUZZ_SEED=random`. */
const DEFAULT_SEED = 20261121;

/** fast-check parameters; fast-check prints the seed and path of any failure so it can be replayed. */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  const chosenSeed =
    seed === 'random' ? undefined : seed !== undefined && seed !== '' ? Number(seed) : DEFAULT_SEED;
  return {
    numRuns,
    includeErrorInReport: true,
    ...(chosenSeed === undefined ? {} : { seed: chosenSeed }),
    ...(path !== undefined && path !== '' ? { path } : {}),
  };
}

export interface FuzzCounts {
  cases: number;
  requests: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
}

const CATALOGUE_CODES: ReadonlySet<string> = new Set(Object.keys(ERROR_CATALOGUE));
const crashes: unknown[] = [];
let crashListenersInstalled = false;

function installCrashListeners(): void {
  if (crashListenersInstalled) return;
  crashListenersInstalled = true;
  process.on('uncaughtExceptionMonitor', (error) => crashes.push(error));
  process.on('unhandledRejection', (reason) => crashes.push(reason));
}

/**
 * Who a fuzz request acts as: the trusted integration (the default), a GP at an organisation with no
 * relationships, or a patient logged in as Patient/fuzz-s-1 — so the access rules on every read path
 * are fuzzed too.
 */
export const AUTHORIZATION = {
  integration: 'Bearer test:integration',
  gp: 'Bearer test:fuzz-gp',
  patient: 'Bearer test:fuzz-patient',
} as const;

/** Shortens a text for a failure message. */
export function clip(text: string, max = 1500): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

function describePayload(payload: InjectOptions['payload']): string {
  if (payload === undefined) return '(none)';
  if (typeof payload === 'string') return clip(JSON.stringify(payload));
  if (Buffer.isBuffer(payload)) return `bytes ${clip(payload.toString('hex'), 800)}`;
  return clip(JSON.stringify(payload));
}

/**
 * One app for a whole test file, and the single door every fuzz request goes through. A response
 * that breaks the contract fails the property with the request, the response and, for a 5xx, the
 * error the server raised (taken from an onError hook, since the test app logs nothing).
 */
// A backslash is here too: inject parses the URL as WHATWG does, reading '\\' as '/', so '/\\x' would
// become the authority '//x' and never reach the server; a client that keeps it sends %5C.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const UNSENDABLE = /[\u0000-\u001f\u007f \\]/g;

export class FuzzHarness {
  private counts: FuzzCounts = emptyCounts();
  private started = 0;
  private lastServerError: unknown;
  /** FUZZ_REPORT_ONLY: distinct faults seen by the current test, by signature. */
  private faults = new Map<string, { count: number; example: string }>();

  private constructor(
    readonly t: TestApp,
    private readonly suite: string,
  ) {}

  static async create(suite: string): Promise<FuzzHarness> {
    installCrashListeners();
    const kind = process.env.FUZZ_DATABASE === 'postgres' ? 'postgres' : 'pglite';
    const t = await createTestApp(kind);
    t.principals.register('fuzz-gp', staff('gp', 'fuzz-org'));
    t.principals.register('fuzz-patient', patientLogin('fuzz-s-1'));
    const harness = new FuzzHarness(t, suite);
    t.app.addHook('onError', async (_request, _reply, error) => {
      harness.lastServerError = error;
    });
    await t.app.ready();
    return harness;
  }

  /** Starts counting for one test. */
  begin(): void {
    this.counts = emptyCounts();
    this.faults = new Map();
    this.started = performance.now();
  }

  /** Call once per property run. */
  countCase(): void {
    this.counts.cases++;
  }

  /** The one summary line a test prints at its end. */
  summary(test: string): string {
    const c = this.counts;
    const ms = Math.round(performance.now() - this.started);
    return (
      `fuzz ${this.suite}/${test}: cases=${c.cases} requests=${c.requests} status2xx=${c.status2xx} ` +
      `status3xx=${c.status3xx} status4xx=${c.status4xx} status5xx=${c.status5xx} ms=${ms}`
    );
  }

  /**
   * Sends a request (as the integration unless it carries its own Authorization) and checks the
   * response against the contract; throws, failing the property, if it is broken.
   */
  async send(request: InjectOptions): Promise<FuzzResponse> {
    const headers: Record<string, string | undefined> = {
      ...(request.headers as Record<string, string> | undefined),
    };
    // No Authorization key: act as the integration. An undefined one: send none at all.
    if (!('authorization' in headers)) headers.authorization = AUTHORIZATION.integration;
    else if (headers.authorization === undefined) Reflect.deleteProperty(headers, 'authorization');
    // Raw control characters cannot travel in an HTTP request line; a real client percent-encodes
    // them, so send what it would (inject itself refuses such a URL before the server sees it).
    const url =
      typeof request.url === 'string' ? request.url.replace(UNSENDABLE, encodeURIComponent) : request.url;
    const options: InjectOptions = { ...request, headers, ...(url === undefined ? {} : { url }) };
    this.lastServerError = undefined;
    this.counts.requests++;
    let response: FuzzResponse;
    try {
      response = hasDotSegment(options.url)
        ? await this.sendOverSocket(options)
        : await this.t.app.inject(options);
    } catch (error) {
      throw new AssertionError({
        message: `The server failed to answer at all (inject rejected): ${String(error)}\n${describeRequest(options)}`,
      });
    }
    const status = response.statusCode;
    if (status >= 500) this.counts.status5xx++;
    else if (status >= 400) this.counts.status4xx++;
    else if (status >= 300) this.counts.status3xx++;
    else if (status >= 200) this.counts.status2xx++;
    const problem = contractViolation(options, response) ?? crashViolation();
    if (problem !== undefined) {
      const serverError = this.lastServerError;
      const stack =
        serverError instanceof Error
          ? (serverError.stack ?? String(serverError))
          : serverError === undefined
            ? '(none seen)'
            : String(serverError);
      const message =
        `${problem}\n${describeRequest(options)}\n` +
        `response: ${status} ${clip(JSON.stringify(response.headers), 600)}\n${clip(response.body)}\n` +
        `server error: ${clip(stack, 3000)}`;
      if (!reportOnly) throw new AssertionError({ message });
      const signature = `${problem.split('\n')[0]} | ${stack.split('\n').slice(0, 3).join(' ').trim()}`
        .replace(/"[^"]*"/g, '"…"')
        .replace(/\d+/g, 'N');
      const fault = this.faults.get(signature);
      if (fault) {
        fault.count++;
        if (message.length < fault.example.length) fault.example = message;
      } else this.faults.set(signature, { count: 1, example: message });
    }
    return response;
  }

  /** FUZZ_REPORT_ONLY: prints every distinct fault seen by the test and fails it if there was any. */
  reportFaults(test: string): void {
    if (this.faults.size === 0) return;
    const lines = [...this.faults.entries()].map(
      ([signature, fault], index) =>
        `--- fault ${index + 1} of ${this.faults.size}, seen ${fault.count}x: ${signature}\n${fault.example}`,
    );
    console.log(lines.join('\n'));
    throw new AssertionError({
      message: `fuzz ${this.suite}/${test}: ${this.faults.size} distinct fault(s), listed above`,
    });
  }

  async close(): Promise<void> {
    await this.t.close();
  }

  private listening: Promise<number> | undefined;

  /**
   * inject resolves the URL as a browser would, so '/fhir/%2e%2e/' reaches the server as '/': a
   * different request. Real clients can send the raw target, so such requests go over loopback.
   */
  private async sendOverSocket(options: InjectOptions): Promise<FuzzResponse> {
    this.listening ??= this.t.app.listen({ host: '127.0.0.1', port: 0 }).then(() => {
      const address = this.t.app.server.address();
      return typeof address === 'object' && address !== null ? address.port : 0;
    });
    const port = await this.listening;
    const payload = options.payload === undefined ? undefined : Buffer.from(String(options.payload));
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port,
          // A fresh connection each time: a kept-alive socket the server has just closed would
          // read as the server failing to answer.
          agent: false,
          method: options.method ?? 'GET',
          path: String(options.url),
          headers: {
            ...(options.headers as Record<string, string> | undefined),
            // Node sends a DELETE or OPTIONS body without a length unless told it.
            ...(payload === undefined ? {} : { 'content-length': String(payload.length) }),
          },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () =>
            resolve({
              statusCode: incoming.statusCode ?? 0,
              headers: incoming.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }
}

/**
 * Outside /fhir the server also serves the web app, whose unknown paths answer its HTML shell (the
 * browser app routes them); that is the only 2xx here that is not JSON. Under /fhir, HTML is a fault.
 */
function isWebAppShell(options: InjectOptions, response: FuzzResponse): boolean {
  const path = typeof options.url === 'string' ? options.url : '';
  const contentType = String(response.headers['content-type'] ?? '');
  return !path.startsWith('/fhir') && response.statusCode === 200 && contentType.startsWith('text/html');
}

/** What the contract checks read from a response, however it was sent. */
export type FuzzResponse = Pick<LightMyRequestResponse, 'statusCode' | 'body' | 'headers'>;

/** A '.' or '..' path segment, literal or percent-encoded, which URL resolution would remove. */
function hasDotSegment(url: InjectOptions['url']): boolean {
  if (typeof url !== 'string') return false;
  const path = url.split('?')[0] ?? '';
  return path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}

function emptyCounts(): FuzzCounts {
  return { cases: 0, requests: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0 };
}

function describeRequest(options: InjectOptions): string {
  const url = typeof options.url === 'string' ? options.url : JSON.stringify(options.url);
  return (
    `request: ${options.method ?? 'GET'} ${clip(url, 800)}\n` +
    `headers: ${clip(JSON.stringify(options.headers ?? {}), 800)}\n` +
    `body: ${describePayload(options.payload)}`
  );
}

function crashViolation(): string | undefined {
  if (crashes.length === 0) return undefined;
  const first = crashes[0];
  return `The process had an uncaught exception or unhandled rejection: ${first instanceof Error ? (first.stack ?? first.message) : String(first)}`;
}

/** What is wrong with a response, or undefined when it keeps the contract. */
export function contractViolation(options: InjectOptions, response: FuzzResponse): string | undefined {
  const status = response.statusCode;
  if (status >= 500) return `Status ${status}: bad input must never produce a 5xx.`;
  // A HEAD answer has headers only: its status is all there is to check.
  if (options.method === 'HEAD') return undefined;
  if (status >= 400) return outcomeViolation(response.body, status, 'the response');
  if (isWebAppShell(options, response)) return undefined;
  if (status >= 200 && status < 300 && response.body.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch (error) {
      return `A ${status} body is not valid JSON (${String(error)}).`;
    }
    // Only a Bundle the server built by processing a batch or transaction (POST to the base) has
    // entries that are its answers; a Bundle stored at /fhir/Bundle comes back as the client wrote it.
    if (isProcessedBundle(options, parsed)) return bundleEntryViolation(parsed);
  }
  return undefined;
}

function isProcessedBundle(options: InjectOptions, body: unknown): body is Record<string, unknown> {
  const url = typeof options.url === 'string' ? options.url : '';
  const path = new URL(url, 'http://fuzz.invalid').pathname.replace(/\/+$/, '');
  return (
    options.method === 'POST' &&
    path === '/fhir' &&
    isObject(body) &&
    (body.type === 'batch-response' || body.type === 'transaction-response')
  );
}

/** A batch answers each failed entry with an OperationOutcome: those must keep the contract too. */
function bundleEntryViolation(bundle: Record<string, unknown>): string | undefined {
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  for (const [index, entry] of entries.entries()) {
    const response = isObject(entry) && isObject(entry.response) ? entry.response : undefined;
    const statusText = response && typeof response.status === 'string' ? response.status : '';
    const status = Number.parseInt(statusText, 10);
    if (!Number.isInteger(status))
      return `Bundle entry ${index} has no numeric response.status ('${statusText}').`;
    if (status >= 500)
      return `Bundle entry ${index} answered ${statusText}: bad input must never produce a 5xx.`;
    if (status >= 400) {
      const outcome = response?.outcome;
      const violation = outcomeViolation(JSON.stringify(outcome ?? null), status, `entry ${index}'s outcome`);
      if (violation) return violation;
    }
  }
  return undefined;
}

function outcomeViolation(body: string, status: number, what: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `A ${status} error body (${what}) is not JSON, so not an OperationOutcome.`;
  }
  if (!isObject(parsed) || parsed.resourceType !== 'OperationOutcome') {
    return `A ${status} error body (${what}) is not an OperationOutcome.`;
  }
  if (!Array.isArray(parsed.issue) || parsed.issue.length === 0)
    return `The OperationOutcome of a ${status} (${what}) has no issues.`;
  const codes: string[] = [];
  for (const [index, issue] of parsed.issue.entries()) {
    const details = isObject(issue) && isObject(issue.details) ? issue.details : undefined;
    const coding = details && Array.isArray(details.coding) ? details.coding[0] : undefined;
    const code = isObject(coding) && typeof coding.code === 'string' ? coding.code : undefined;
    if (code === undefined || !CATALOGUE_CODES.has(code)) {
      return `Issue ${index} of a ${status} OperationOutcome (${what}) has no catalogue code in details.coding[0] (got ${String(code)}).`;
    }
    if (isObject(coding) && coding.system !== ERROR_CODE_SYSTEM) {
      return `Issue ${index} of a ${status} OperationOutcome (${what}) has code system ${String(coding.system)}.`;
    }
    codes.push(code);
  }
  const primary = codes[0] as keyof typeof ERROR_CATALOGUE;
  if (ERROR_CATALOGUE[primary].status !== status) {
    return `A ${status} OperationOutcome (${what}) leads with '${primary}', whose catalogue status is ${ERROR_CATALOGUE[primary].status}.`;
  }
  return undefined;
}

/**
 * Runs one property against the harness: counts its cases and prints the test's summary line at
 * the end, whether it passed or not (a failure's message carries fast-check's seed and path).
 */
export async function fuzz<T>(
  harness: FuzzHarness,
  test: string,
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  check: (value: T) => Promise<void>,
): Promise<void> {
  harness.begin();
  // Shrinking sends one request per candidate; once the budget after the first failure is spent,
  // further candidates are skipped (treated as passing), so fast-check stops and reports the
  // smallest counterexample that really failed.
  let failedAt: number | undefined;
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        if (failedAt !== undefined && performance.now() - failedAt > shrinkBudgetMs) return;
        harness.countCase();
        try {
          await check(value);
        } catch (error) {
          failedAt ??= performance.now();
          throw error;
        }
      }),
      fuzzParameters(numRuns),
    );
  } finally {
    console.log(harness.summary(test));
  }
  harness.reportFaults(test);
}
