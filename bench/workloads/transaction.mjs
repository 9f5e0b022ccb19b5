import { randomUUID } from 'node:crypto';
import { FHIR_HEADERS, NhsNumbers, patientResource } from '../lib/fhir.mjs';
import { recordCreates } from './raw-create.mjs';

/** Entries per transaction Bundle. */
const ENTRIES = 10;
const TEMPLATES = 1000;

function transactionBundle(nhsNumbers) {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: ENTRIES }, () => ({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: patientResource(nhsNumbers.next()),
      request: { method: 'POST', url: 'Patient' },
    })),
  };
}

/** FHIR transaction: 10 new Patients in one Bundle, all or nothing. */
export const transaction = {
  name: 'transaction',
  title: `Transaction of ${ENTRIES}`,
  description: `\`POST /fhir\` with a \`transaction\` Bundle of ${ENTRIES} \`POST Patient\` entries (each a UK Core-shaped Patient with a new NHS number), committed as one database transaction; one request = ${ENTRIES} creates`,
  kind: 'http',
  compare: ['raw-transaction'],
  needs: ['organisation'],
  async check(ctx) {
    const response = await fetch(`${ctx.baseUrl}/fhir`, {
      method: 'POST',
      headers: ctx.headers,
      body: JSON.stringify(transactionBundle(ctx.nhs)),
    });
    const body = await response.text();
    const entries = response.status === 200 ? (JSON.parse(body).entry ?? []) : [];
    if (entries.length !== ENTRIES || !entries.every((e) => e.response?.status?.startsWith('201'))) {
      throw new Error(
        `transaction check: expected 200 with ${ENTRIES} entries answered 201, got ${response.status}: ${body.slice(0, 800)}`,
      );
    }
  },
  data: (ctx) => ({ stemStart: ctx.nhs.nextStem }),
  load({ stemStart }) {
    const nhsNumbers = new NhsNumbers(stemStart);
    return {
      requests: [
        {
          method: 'POST',
          path: '/fhir',
          headers: FHIR_HEADERS,
          setupRequest: (request) => ({ ...request, body: JSON.stringify(transactionBundle(nhsNumbers)) }),
        },
      ],
      extra: () => ({ nextStem: nhsNumbers.nextStem }),
    };
  },
  after(ctx, result) {
    ctx.nhs.nextStem = result.extra.nextStem;
  },
};

/**
 * The raw ceiling for the same operation: `begin`, the server's own create statements for 10
 * Patients (resource, history and search-index rows; SQL and parameters produced by the built
 * server's ResourceStore), `commit`, as named prepared statements through `pg`.
 */
export const rawTransaction = {
  name: 'raw-transaction',
  title: `Raw transaction of ${ENTRIES}`,
  description: `\`begin\`, the server's create statement(s) for ${ENTRIES} Patients, \`commit\`, straight through \`pg\` as named prepared statements (SQL and parameters produced by the built server's ResourceStore); one operation = ${ENTRIES} creates`,
  kind: 'pg',
  data: (ctx) => ({ stemStart: ctx.nhs.nextStem }),
  async load({ stemStart }) {
    const { templates, nextStem } = await recordCreates(stemStart, TEMPLATES);
    let next = 0;
    return {
      async operation(client) {
        await client.query('begin');
        try {
          for (let i = 0; i < ENTRIES; i++) {
            const { marker, statements } = templates[next++ % templates.length];
            const id = randomUUID();
            for (const { name, sql, params } of statements) {
              const values = params.map((p) => (typeof p === 'string' ? p.replaceAll(marker, id) : p));
              await client.query(name ? { name, text: sql, values } : sql, values);
            }
          }
          await client.query('commit');
        } catch (error) {
          await client.query('rollback').catch(() => {});
          throw error;
        }
      },
      extra: () => ({ nextStem }),
    };
  },
  after(ctx, result) {
    ctx.nhs.nextStem = result.extra.nextStem;
  },
};
