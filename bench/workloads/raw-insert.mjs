import { randomUUID } from 'node:crypto';
import { NhsNumbers, patientResource } from '../lib/fhir.mjs';

const INSERT = `insert into resource (resource_type, id, version_id, last_updated, deleted, content)
  values ($1, $2, 1, $3::timestamptz, false, $4)`;

/** The ceiling for create: the server's row insert at its simplest, one per transaction. */
export default {
  name: 'raw-insert',
  title: 'Raw insert',
  description:
    'one `insert into resource (...) values (...)` per transaction (autocommit) with a Patient-sized JSON ' +
    'content, straight through `pg` as a named prepared statement (as the server sends its SQL); no history or index rows',
  kind: 'pg',
  data: (ctx) => ({ stemStart: ctx.nhs.nextStem }),
  load({ stemStart }) {
    const nhsNumbers = new NhsNumbers(stemStart);
    return {
      operation(client) {
        const id = randomUUID();
        const lastUpdated = new Date().toISOString();
        const { resourceType, ...rest } = patientResource(nhsNumbers.next());
        const content = JSON.stringify({ resourceType, id, meta: { versionId: '1', lastUpdated }, ...rest });
        return client.query({
          name: 'bench_raw_insert',
          text: INSERT,
          values: [resourceType, id, lastUpdated, content],
        });
      },
      extra: () => ({ nextStem: nhsNumbers.nextStem }),
    };
  },
  after(ctx, result) {
    ctx.nhs.nextStem = result.extra.nextStem;
  },
};
