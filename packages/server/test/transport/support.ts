import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach } from 'node:test';
import { ManualClock } from '@carebridge/domain';
import type { Database } from '../../src/store/database.js';
import {
  Outbox,
  OutboxWorker,
  fhirEndpointAdapter,
  webhookAdapter,
  type Alert,
  type Destination,
  type JsonValue,
  type OutboxWorkerOptions,
} from '../../src/transport/index.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases.js';

/** One request as the test receiver saw it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  messageId: string | undefined;
}

export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** What the receiver does with a request: answer, hold it until released, or drop the connection. */
export type Behaviour = (request: ReceivedRequest) => CannedAnswer | 'hold' | 'drop';

/**
 * A real HTTP receiver on 127.0.0.1 (random port) that de-duplicates by message id, as every
 * Carebridge receiver must: `effects` counts how often each message took effect (must stay ≤ 1),
 * `received` every request that arrived (raw transport duplicates included).
 */
export class TestReceiver {
  readonly received: ReceivedRequest[] = [];
  readonly effects = new Map<string, number>();
  behaviour: Behaviour;
  private readonly held: Array<{ response: ServerResponse; request: ReceivedRequest }> = [];

  private constructor(
    private server: Server,
    behaviour: Behaviour,
  ) {
    this.behaviour = behaviour;
  }

  static async start(behaviour: Behaviour = () => ({ status: 200 }), port = 0): Promise<TestReceiver> {
    const receiver = new TestReceiver(createServer(), behaviour);
    receiver.server = createServer((request, response) => receiver.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(port, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Message ids that took effect at least once. */
  get delivered(): string[] {
    return [...this.effects.keys()];
  }

  /** Answers every held request with `answer`. */
  release(answer: CannedAnswer = { status: 200 }): void {
    for (const { response, request } of this.held.splice(0)) this.answer(response, request, answer);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const header = request.headers['x-request-id'];
      const received: ReceivedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        messageId: typeof header === 'string' ? header : undefined,
      };
      this.received.push(received);
      const action = this.behaviour(received);
      if (action === 'drop') response.socket?.destroy();
      else if (action === 'hold') this.held.push({ response, request: received });
      else this.answer(response, received, action);
    });
  }

  private answer(response: ServerResponse, request: ReceivedRequest, answer: CannedAnswer): void {
    if (answer.status >= 200 && answer.status < 300 && request.messageId !== undefined) {
      // De-duplication by message id: the effect happens once however often the message arrives.
      if (!this.effects.has(request.messageId)) this.effects.set(request.messageId, 1);
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? '{}');
  }
}

/** A loopback port nothing listens on (connection refused), free to listen on later. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;

/**
 * A database with the transport's tables, a manual clock, an Outbox whose hooks move rows of a
 * stand-in delivery ledger (`test_ledger`) in the outcome's transaction, and collected alerts.
 */
export class TransportWorld {
  readonly clock = new ManualClock('2026-03-02T09:00:00.000Z');
  readonly alerts: Alert[] = [];
  readonly hookCalls: Array<{ hook: 'delivered' | 'dead' | 'retry'; messageId: string }> = [];
  readonly outbox: Outbox;

  private constructor(readonly database: TestDatabase) {
    this.outbox = new Outbox({
      clock: this.clock,
      alerts: { raise: (alert) => void this.alerts.push(alert) },
      hooks: {
        onDelivered: async (tx, message) => {
          await tx.query(
            `update test_ledger set state = 'delivered', transitions = transitions + 1 where message_id = $1`,
            [message.messageId],
          );
          this.hookCalls.push({ hook: 'delivered', messageId: message.messageId });
        },
        onDead: async (tx, message) => {
          await tx.query(
            `update test_ledger set state = 'dead', transitions = transitions + 1 where message_id = $1`,
            [message.messageId],
          );
          this.hookCalls.push({ hook: 'dead', messageId: message.messageId });
        },
        onRetryScheduled: async (_tx, message) => {
          this.hookCalls.push({ hook: 'retry', messageId: message.messageId });
        },
      },
    });
  }

  static async create(kind: TestDatabaseKind): Promise<TransportWorld> {
    const database = await createTestDatabase(kind);
    await database.db.exec(
      `create table test_ledger (message_id uuid primary key, state text not null, transitions integer not null default 0)`,
    );
    return new TransportWorld(database);
  }

  get db(): Database {
    return this.database.db;
  }

  /** Forgets every message, mailbox entry, endpoint, alert and hook call: each test starts empty. */
  async reset(): Promise<void> {
    await this.db.exec('truncate mailbox_message, outbox_message, outbox_endpoint, test_ledger');
    this.alerts.length = 0;
    this.hookCalls.length = 0;
    this.clock.set('2026-03-02T09:00:00.000Z');
  }

  /** A worker with both HTTP adapters on this world's clock, deterministic jitter (none) and fast retries. */
  worker(options: Partial<OutboxWorkerOptions> = {}): OutboxWorker {
    return new OutboxWorker({
      db: this.db,
      outbox: this.outbox,
      adapters: [
        fhirEndpointAdapter({ clock: this.clock, timeoutMs: 5_000 }),
        webhookAdapter({ clock: this.clock, timeoutMs: 5_000, secretFor: () => WEBHOOK_SECRET }),
      ],
      random: () => 0,
      retryPolicy: { baseDelayMs: 1_000, maxDelayMs: HOUR, maxRejections: 3 },
      leaseMs: 60_000,
      onError: (error) => {
        throw error;
      },
      ...options,
    });
  }

  /** Enqueues a message and its ledger row in one transaction, as the document service will. */
  async send(
    destination: Destination,
    payload: JsonValue = documentBundle(),
    messageId = randomUUID(),
  ): Promise<string> {
    await this.db.transaction(async (tx) => {
      await tx.query(`insert into test_ledger (message_id, state) values ($1, 'queued')`, [messageId]);
      await this.outbox.enqueue(tx, {
        messageId,
        destination,
        correlationId: `ledger-${messageId}`,
        payload,
      });
    });
    return messageId;
  }

  async ledger(messageId: string): Promise<{ state: string; transitions: number }> {
    const { rows } = await this.db.query<{ state: string; transitions: number }>(
      'select state, transitions from test_ledger where message_id = $1',
      [messageId],
    );
    return rows[0] ?? { state: 'absent', transitions: 0 };
  }

  async close(): Promise<void> {
    await this.database.drop();
  }
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export function fhirDestination(baseUrl: string, endpointId = 'gp-system-A12345'): Destination {
  return { kind: 'fhir-endpoint', endpointId, address: `${baseUrl}/fhir`, recipientOds: 'A12345' };
}

export function documentBundle(marker = 'discharge-summary'): JsonValue {
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: 'https://carebridge.dev/test', value: marker },
    entry: [{ resource: { resourceType: 'Patient', id: 'patient-1' } }],
  };
}

/**
 * A transport world for the tests of one `describe`: created before them, reset (and its receivers
 * closed) before each, closed after. `receiver` starts a receiver that is closed with the test.
 */
export function useTransportWorld(kind: TestDatabaseKind): {
  readonly world: TransportWorld;
  receiver(...args: Parameters<typeof TestReceiver.start>): Promise<TestReceiver>;
} {
  let world: TransportWorld | undefined;
  const receivers: TestReceiver[] = [];
  const closeReceivers = () => Promise.all(receivers.splice(0).map((r) => r.close()));
  before(async () => {
    world = await TransportWorld.create(kind);
  });
  after(async () => world?.close());
  beforeEach(async () => {
    await closeReceivers();
    await world?.reset();
  });
  after(closeReceivers);
  return {
    get world() {
      if (!world) throw new Error('The transport world is built in before(); use it inside a test.');
      return world;
    },
    async receiver(...args) {
      const started = await TestReceiver.start(...args);
      receivers.push(started);
      return started;
    },
  };
}
