// Reads the delivery ledger and the transport outbox straight from a scenario's database, through
// the server's own schema: `pg` for PostgreSQL (while servers run), PGlite on the data directory for
// PGlite (only once its server has stopped: one process owns a PGlite directory).
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Target } from './targets.js';

type Query = <Row>(sql: string, params?: unknown[]) => Promise<Row[]>;

/** Runs `work` with a query function on the target's database, then closes the connection. */
export async function withDatabase<T>(target: Target, work: (query: Query) => Promise<T>): Promise<T> {
  const url = target.env.DATABASE_URL;
  if (url !== undefined) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await work(async <Row>(sql: string, params: unknown[] = []) => {
        const result = await client.query(sql, params);
        return result.rows as Row[];
      });
    } finally {
      await client.end().catch(() => {});
    }
  }
  const dataDir = target.env.DATA_DIR;
  if (dataDir === undefined) throw new Error('The target names neither DATABASE_URL nor DATA_DIR');
  const db = await PGlite.create(dataDir);
  try {
    return await work(async <Row>(sql: string, params: unknown[] = []) => {
      const result = await db.query<Row>(sql, params);
      return result.rows;
    });
  } finally {
    await db.close();
  }
}

export interface LedgerCensus {
  /** Delivery rows of the run's documents by state (every one should end `delivered`). */
  rowStates: Record<string, number>;
  /** Outbox messages of the run's documents by status. */
  outbox: Record<string, number>;
  /** Rows not in a finished state (`delivered` for an external practice): must be 0 after a drain. */
  unfinished: number;
  /** Outbox messages still `pending` or `delivering`: must be 0 after a drain. */
  outboxOpen: number;
  /** Rows whose `delivered` transition was recorded more than once (a hook that ran twice). */
  doubleDelivered: number;
  /** Documents of the run with more than one outbox message (routed or sent twice). */
  documentsWithTwoMessages: number;
  /** message id → delivery-row id, for every outbox message of the run. */
  rowOfMessage: Map<string, string>;
  /** document id → number of exchange_document rows (must be 1 for each acknowledged key). */
  documents: number;
  /** Highest fence any message of the run reached (claims of one message). */
  maxFence: number;
  /** Messages claimed more than once (a lease lapsed: a kill, a freeze, or a retry). */
  reclaimed: number;
}

/** The ledger and outbox of every document whose id starts with `${runTag}-`. */
export async function ledgerCensus(target: Target, runTag: string): Promise<LedgerCensus> {
  const like = `${runTag}-%`;
  return withDatabase(target, async (query) => {
    const states = await query<{ state: string; n: number | string }>(
      `select d.state, count(*) as n from delivery_row d
        where d.document_id like $1 group by d.state`,
      [like],
    );
    const messages = await query<{
      message_id: string;
      status: string;
      correlation_id: string | null;
      fence: number | string;
      attempts: number;
    }>(
      `select o.message_id::text as message_id, o.status, o.correlation_id, o.fence, o.attempts
         from outbox_message o join delivery_row d on o.correlation_id = 'delivery-row:' || d.id::text
        where d.document_id like $1`,
      [like],
    );
    const doubles = await query<{ n: number | string }>(
      `select count(*) as n from (
         select e.row_id from delivery_event e join delivery_row d on d.id = e.row_id
          where d.document_id like $1 and e.to_state = 'delivered'
          group by e.row_id having count(*) > 1) twice`,
      [like],
    );
    const twoMessages = await query<{ n: number | string }>(
      `select count(*) as n from (
         select d.document_id from outbox_message o join delivery_row d on o.correlation_id = 'delivery-row:' || d.id::text
          where d.document_id like $1 group by d.document_id having count(*) > 1) twice`,
      [like],
    );
    const documents = await query<{ n: number | string }>(
      'select count(*) as n from exchange_document where document_id like $1',
      [like],
    );
    const rowStates: Record<string, number> = {};
    for (const { state, n } of states) rowStates[state] = Number(n);
    const outbox: Record<string, number> = {};
    const rowOfMessage = new Map<string, string>();
    let maxFence = 0;
    let reclaimed = 0;
    for (const message of messages) {
      outbox[message.status] = (outbox[message.status] ?? 0) + 1;
      rowOfMessage.set(message.message_id, (message.correlation_id ?? '').replace(/^delivery-row:/, ''));
      maxFence = Math.max(maxFence, Number(message.fence));
      if (Number(message.fence) > 1) reclaimed++;
    }
    return {
      rowStates,
      outbox,
      unfinished: Object.entries(rowStates)
        .filter(([state]) => state !== 'delivered')
        .reduce((sum, [, n]) => sum + n, 0),
      outboxOpen: (outbox.pending ?? 0) + (outbox.delivering ?? 0),
      doubleDelivered: Number(doubles[0]?.n ?? 0),
      documentsWithTwoMessages: Number(twoMessages[0]?.n ?? 0),
      rowOfMessage,
      documents: Number(documents[0]?.n ?? 0),
      maxFence,
      reclaimed,
    };
  });
}

/** `state:n,state:n` for a figures line. */
export function summary(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([key, n]) => `${key}:${n}`).join(',');
}

/** Outbox messages of the run still open (pending/delivering), read while the servers run (PostgreSQL). */
export async function openMessages(target: Target, runTag: string): Promise<number> {
  return withDatabase(target, async (query) => {
    const rows = await query<{ n: number | string }>(
      `select count(*) as n from outbox_message o join delivery_row d on o.correlation_id = 'delivery-row:' || d.id::text
        where d.document_id like $1 and o.status in ('pending', 'delivering')`,
      [`${runTag}-%`],
    );
    return Number(rows[0]?.n ?? 0);
  });
}
