// A fake external FHIR receiver on 127.0.0.1: the "other system" a document is sent to through the
// transport outbox (an Endpoint with connectionType hl7-fhir-rest). The fhir-endpoint adapter POSTs
// each document Bundle to `[address]/Bundle` with `X-Request-ID: <message id>`. Like a real
// receiver, this one de-duplicates on that id: the first arrival of a message id is an effect (the
// document is "filed"); a repeat is answered as success again and has no further effect. It counts
// every arrival per message id, so the scenarios can tell at-least-once transport (repeats) from
// exactly-once effect (one message id per document, filed once).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Arrival {
  messageId: string;
  /** The document's key: the Bundle's identifier value (the document id). */
  key: string;
  /** 1 for the first arrival of this message id, 2 for the second… */
  attempt: number;
  at: number;
}

export interface Answer {
  status: number;
  body?: unknown;
}

/** Decides the answer to one arrival; may wait (hold the request open) before answering. */
export type ReceiverPolicy = (arrival: Arrival) => Answer | Promise<Answer>;

/** 201 the first time, 200 for a repeat (the stored answer replayed): an idempotent FHIR server. */
export const acceptOnce: ReceiverPolicy = (arrival) => ({
  status: arrival.attempt === 1 ? 201 : 200,
  body: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
});

export interface MessageRecord {
  key: string;
  /** Every arrival of this message id, whatever the answer. */
  arrivals: number;
  /** Arrivals answered with a 2xx; the first of them is the effect. */
  accepted: number;
  firstAcceptedAt: number | undefined;
}

export class FakeFhirReceiver {
  private server: Server | undefined;
  private port = 0;
  /** Per message id: what arrived and what was accepted. */
  readonly messages = new Map<string, MessageRecord>();
  /** Per document key: the message ids whose first acceptance was an effect (filed). */
  readonly effects = new Map<string, Set<string>>();
  requests = 0;
  /** Requests that were not a POST of a Bundle with an X-Request-ID and an identifier. */
  malformed = 0;
  /** Requests being held open by the policy right now. */
  inFlight = 0;
  policy: ReceiverPolicy = acceptOnce;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/fhir`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Document keys with at least one effect. */
  get filed(): number {
    return this.effects.size;
  }

  /** Arrivals beyond the first per message id: the transport's at-least-once repeats. */
  get redeliveries(): number {
    let n = 0;
    for (const record of this.messages.values()) n += Math.max(0, record.arrivals - 1);
    return n;
  }

  /** Keys filed under more than one message id: a duplicated effect. Must be 0. */
  get duplicatedEffects(): number {
    let n = 0;
    for (const ids of this.effects.values()) if (ids.size > 1) n++;
    return n;
  }

  /** Waits until `done()` holds, polling every 100 ms; false after `ms`. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!done()) {
      if (performance.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const messageId = request.headers['x-request-id'];
    let key: string | undefined;
    try {
      const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceType?: unknown;
        identifier?: { value?: unknown };
      };
      if (bundle.resourceType === 'Bundle' && typeof bundle.identifier?.value === 'string')
        key = bundle.identifier.value;
    } catch {
      key = undefined;
    }
    if (
      request.method !== 'POST' ||
      !request.url?.endsWith('/Bundle') ||
      typeof messageId !== 'string' ||
      !key
    ) {
      this.malformed++;
      send(response, 400, outcome('invalid', 'expected a POST of a document Bundle with X-Request-ID'));
      return;
    }
    const record = this.messages.get(messageId) ?? {
      key,
      arrivals: 0,
      accepted: 0,
      firstAcceptedAt: undefined,
    };
    this.messages.set(messageId, record);
    record.arrivals++;
    this.inFlight++;
    let answer: Answer;
    try {
      answer = await this.policy({ messageId, key, attempt: record.arrivals, at: performance.now() });
    } finally {
      this.inFlight--;
    }
    if (answer.status >= 200 && answer.status < 300) {
      record.accepted++;
      if (record.firstAcceptedAt === undefined) {
        // The effect: filed once per message id, whatever arrives again later.
        record.firstAcceptedAt = performance.now();
        const ids = this.effects.get(key) ?? new Set<string>();
        ids.add(messageId);
        this.effects.set(key, ids);
      }
    }
    send(response, answer.status, answer.body ?? {});
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed) return;
  response.statusCode = status;
  response.setHeader('content-type', 'application/fhir+json');
  response.end(JSON.stringify(body));
}

export function outcome(code: string, text: string): unknown {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] };
}
