import { createHash, randomUUID } from 'node:crypto';
import { NhsNumbers, patientResource } from '../lib/fhir.mjs';

const TEMPLATES = 1000;

/**
 * The server's own create statement(s), straight through `pg`: what the database must do for a FHIR
 * create, without HTTP, parsing, validation or the server's event loop. The SQL and parameters come
 * from the built server itself (its ResourceStore and index extraction, run against a recording
 * executor), so this follows the server as it changes. 1,000 Patients are prepared before the load;
 * each operation replays one with a fresh id. Informational: no goal, it shows how much of the gap
 * between `create` and `raw-insert` is database work.
 */
export async function recordCreates(stemStart, count) {
  let ResourceStore;
  let extractIndexRows;
  try {
    ({ ResourceStore } = await import('../../packages/server/dist/store/resource-store.js'));
    ({ extractIndexRows } = await import('../../packages/domain/dist/index.js'));
  } catch (error) {
    throw new Error(
      `raw-create needs the built server's ResourceStore and extractIndexRows: ${error.message}`,
    );
  }
  const nhsNumbers = new NhsNumbers(stemStart);
  const templates = [];
  for (let i = 0; i < count; i++) {
    const marker = randomUUID();
    const statements = [];
    const recorder = {
      query: async (sql, params = []) => {
        statements.push({ sql, params: [...params] });
        return { rows: [{ rid: 1 }], rowCount: 1 };
      },
      exec: async (sql) => {
        statements.push({ sql, params: [] });
      },
    };
    const store = new ResourceStore({
      clock: { now: () => new Date() },
      indexRows: extractIndexRows,
      newId: () => marker,
    });
    await store.create(recorder, patientResource(nhsNumbers.next()));
    // Named prepared statements, parsed and planned once per connection, as the server's PostgreSQL
    // store sends them (packages/server/src/store/postgres.ts).
    for (const statement of statements) {
      if (statement.params.length > 0) {
        statement.name = `bench_${createHash('sha256').update(statement.sql).digest('base64url').slice(0, 22)}`;
      }
    }
    templates.push({ marker, statements });
  }
  return { templates, nextStem: nhsNumbers.nextStem };
}

function rawCreate({ name, title, transaction }) {
  return {
    name,
    title,
    description: transaction
      ? "`begin`, the server's create statement(s) for a Patient, `commit`: the round trips the server makes for a create, straight through `pg` as named prepared statements (SQL and parameters produced by the built server's ResourceStore); informational"
      : "the server's create statement(s) for a Patient in autocommit, straight through `pg` as named prepared statements (SQL and parameters produced by the built server's ResourceStore); informational",
    kind: 'pg',
    data: (ctx) => ({ stemStart: ctx.nhs.nextStem }),
    async load({ stemStart }) {
      const { templates, nextStem } = await recordCreates(stemStart, TEMPLATES);
      let next = 0;
      return {
        async operation(client) {
          const { marker, statements } = templates[next++ % templates.length];
          const id = randomUUID();
          if (transaction) await client.query('begin');
          for (const { name, sql, params } of statements) {
            const values = params.map((p) => (typeof p === 'string' ? p.replaceAll(marker, id) : p));
            await client.query(name ? { name, text: sql, values } : sql, values);
          }
          if (transaction) await client.query('commit');
        },
        extra: () => ({ nextStem }),
      };
    },
    after(ctx, result) {
      ctx.nhs.nextStem = result.extra.nextStem;
    },
  };
}

export const rawCreateStatement = rawCreate({
  name: 'raw-create',
  title: 'Raw create statement',
  transaction: false,
});
export const rawCreateTransaction = rawCreate({
  name: 'raw-create-tx',
  title: 'Raw create transaction',
  transaction: true,
});
