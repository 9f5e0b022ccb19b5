// The fault scenarios' HTTP client: a system client (client credentials, as the bench uses) that
// sends each write with its own X-Request-ID and retries it, unchanged, until it is acknowledged.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const FAULTS_CLIENT_ID = 'carebridge-faults';
const SCOPES = 'system/*.cruds';

/** The GP practice the fault client acts for; every fault-test patient is registered with it. */
export const FAULTS_ORGANIZATION = {
  id: 'carebridge-faults-gp',
  odsCode: 'Y09998',
  name: 'Fault Test Practice',
};

/** Server environment that declares the fault client (SYSTEM_CLIENTS) with a fresh secret. */
export function systemClientEnv(): { env: Record<string, string>; secret: string } {
  const secret = randomBytes(24).toString('hex');
  return {
    secret,
    env: {
      SEED: 'none',
      CURSOR_SECRET: 'carebridge-faults-cursor-secret-0123456789',
      IDENTITY_ACCESS_TOKEN_TTL: '3600',
      // Throttling is not under test here: a 429 in a retry burst after an outage would hide what is.
      RATE_LIMIT_SYSTEM_PER_MINUTE: '0',
      SYSTEM_CLIENTS: JSON.stringify([
        {
          clientId: FAULTS_CLIENT_ID,
          secret,
          allowedScopes: SCOPES,
          organizationId: FAULTS_ORGANIZATION.id,
          odsCode: FAULTS_ORGANIZATION.odsCode,
          name: 'Carebridge fault tests',
        },
      ]),
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, when it is JSON. */
  json: unknown;
}

export interface WriteRequest {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What happened to the attempts of writes, across a scenario. */
export class AttemptCounts {
  attempts = 0;
  /** Attempts that never got an HTTP answer (connection refused or reset, timeout). */
  networkErrors = 0;
  /** Answers by status code (acknowledgements and errors alike). */
  readonly byStatus = new Map<number, number>();
  /** Error answers (4xx/5xx) whose body was not a FHIR OperationOutcome. */
  notOperationOutcome = 0;
  /** Acknowledgements that were replays of an earlier attempt's stored answer (X-Replayed). */
  replayed = 0;
  readonly examples: string[] = [];

  count(status: number): number {
    return this.byStatus.get(status) ?? 0;
  }

  errorsOtherThan(allowed: number[]): number {
    let n = 0;
    for (const [status, count] of this.byStatus) if (status >= 400 && !allowed.includes(status)) n += count;
    return n;
  }

  example(text: string): void {
    if (this.examples.length < 5) this.examples.push(text);
  }

  statusSummary(): string {
    return [...this.byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}:${n}`)
      .join(',');
  }
}

function isOperationOutcome(json: unknown): boolean {
  return (
    typeof json === 'object' &&
    json !== null &&
    (json as { resourceType?: unknown }).resourceType === 'OperationOutcome'
  );
}

export class FhirClient {
  private token: string | undefined;
  /** Set when the scenario has failed: every retry loop stops at its next turn. */
  aborted: Error | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly secret: string,
  ) {}

  /**
   * The server the next request goes to. One server here; a client of several processes behind a
   * load balancer (RoundRobinClient) picks a different one for each request.
   */
  protected pickBase(): string {
    return this.baseUrl;
  }

  /** A fresh access token from the server's own /auth/token (client credentials). */
  async authenticate(): Promise<void> {
    const response = await fetch(`${this.pickBase()}/auth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${FAULTS_CLIENT_ID}:${this.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPES }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`/auth/token answered ${response.status}: ${text.slice(0, 300)}`);
    this.token = (JSON.parse(text) as { access_token: string }).access_token;
  }

  /** One HTTP request to /fhir (no retry); throws on a network error or timeout. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = 30_000,
  ): Promise<HttpAnswer> {
    if (this.token === undefined) await this.authenticate();
    const url = path.startsWith('http') ? path : `${this.pickBase()}/fhir/${path.replace(/^\//, '')}`;
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/fhir+json',
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** A read or search that must succeed: retried through network errors and 503s for up to `ms`. */
  async readThrough(path: string, ms = 60_000): Promise<HttpAnswer> {
    const deadline = performance.now() + ms;
    for (;;) {
      if (this.aborted) throw this.aborted;
      try {
        const answer = await this.request('GET', path);
        if (answer.status === 401) await this.authenticate();
        else if (answer.status !== 503) return answer;
      } catch (error) {
        if (performance.now() > deadline) throw error;
      }
      if (performance.now() > deadline) throw new Error(`GET ${path} did not succeed within ${ms / 1000} s`);
      await sleep(100);
    }
  }

  /**
   * Sends one write with its X-Request-ID until the server acknowledges it (2xx), retrying the very
   * same request after network errors and 5xx answers (the server replays a stored answer for a
   * repeated X-Request-ID). A 401 refreshes the token first. Any other 4xx is a fault in the test
   * or the server and is thrown. Gives up after `deadlineMs`.
   */
  async sendUntilAcknowledged(
    requestId: string,
    write: WriteRequest,
    counts: AttemptCounts,
    deadlineMs = 120_000,
  ): Promise<HttpAnswer> {
    const giveUpAt = performance.now() + deadlineMs;
    let backoff = 50;
    for (;;) {
      if (this.aborted) throw this.aborted;
      counts.attempts++;
      try {
        const answer = await this.request(write.method, write.path, write.body, {
          'x-request-id': requestId,
          ...write.headers,
        });
        counts.byStatus.set(answer.status, counts.count(answer.status) + 1);
        if (answer.status >= 200 && answer.status < 300) {
          if (answer.headers.get('x-replayed') === 'true') counts.replayed++;
          return answer;
        }
        if (!isOperationOutcome(answer.json)) {
          counts.notOperationOutcome++;
          counts.example(`${answer.status} not an OperationOutcome: ${answer.text.slice(0, 200)}`);
        }
        if (answer.status === 401) {
          await this.authenticate().catch(() => {});
        } else if (answer.status < 500) {
          throw new Error(
            `${write.method} ${write.path} (X-Request-ID ${requestId}) answered ${answer.status}: ${answer.text.slice(0, 500)}`,
          );
        } else if (answer.status !== 503) {
          counts.example(`${answer.status}: ${answer.text.slice(0, 200)}`);
        }
      } catch (error) {
        if (error instanceof Error && error.message.includes('X-Request-ID')) throw error;
        counts.networkErrors++;
      }
      if (performance.now() > giveUpAt) {
        throw new Error(`X-Request-ID ${requestId} was not acknowledged within ${deadlineMs / 1000} s`);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 400);
    }
  }
}

/**
 * A client of several server processes on one database, as behind a round-robin load balancer:
 * each request (and so each retry) goes to the next process in turn, skipping none, so a retry after
 * a killed process reaches a live one. Tokens verify on every process (the signing key is shared
 * through the database).
 */
export class RoundRobinClient extends FhirClient {
  private next = 0;

  constructor(
    private readonly bases: () => readonly string[],
    secret: string,
  ) {
    super(bases()[0] ?? '', secret);
  }

  protected override pickBase(): string {
    const bases = this.bases();
    const base = bases[this.next++ % Math.max(1, bases.length)];
    if (base === undefined) throw new Error('No server to send to');
    return base;
  }
}

/** Follows a searchset's `next` links and returns every entry's resource. */
export async function searchAll(client: FhirClient, path: string): Promise<Array<Record<string, unknown>>> {
  const resources: Array<Record<string, unknown>> = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const answer = await client.readThrough(next);
    if (answer.status !== 200)
      throw new Error(`GET ${next} answered ${answer.status}: ${answer.text.slice(0, 500)}`);
    const bundle = answer.json as {
      entry?: Array<{ resource?: Record<string, unknown>; search?: { mode?: string } }>;
      link?: Array<{ relation: string; url: string }>;
    };
    for (const entry of bundle.entry ?? []) {
      if (entry.resource && (entry.search?.mode ?? 'match') === 'match') resources.push(entry.resource);
    }
    next = bundle.link?.find((link) => link.relation === 'next')?.url;
  }
  return resources;
}
