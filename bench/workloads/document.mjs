import { createHash, randomUUID } from 'node:crypto';
import {
  DOCUMENT_PRACTICE,
  dischargeSummary,
  documentPatient,
  documentWorldBundle,
} from '../lib/documents.mjs';
import { BENCH_ORGANIZATION, FHIR_HEADERS } from '../lib/fhir.mjs';
import { mulberry32 } from '../lib/stats.mjs';

/**
 * The document pipeline end to end: `POST /fhir/$submit-document` of a final discharge summary for a
 * patient registered at a local practice. One request assures the document, matches the patient,
 * stores the Bundle and a DocumentReference, routes it, and delivers it to the practice's inbox: the
 * ledger row goes final → queued → delivered in the same transaction, and the audit record is made
 * durable before the answer. (The bench sends no X-Request-ID, so no replay record is written.)
 * Compared with `raw-document`: the rows such a submission writes, straight through `pg`.
 */

const PATIENTS = 200;
/** The practice and patients each database's run uses, made once (per bench context) by `check`. */
const worlds = new WeakMap();

async function documentWorld(ctx) {
  if (worlds.has(ctx)) return worlds.get(ctx);
  const numbers = Array.from({ length: PATIENTS }, () => ctx.nhs.next());
  const response = await fetch(`${ctx.baseUrl}/fhir`, {
    method: 'POST',
    headers: ctx.headers,
    body: JSON.stringify(documentWorldBundle(numbers)),
  });
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`document world: transaction answered ${response.status}: ${body.slice(0, 800)}`);
  }
  const world = { patients: numbers.map((nhsNumber, index) => documentPatient(nhsNumber, index)) };
  worlds.set(ctx, world);
  return world;
}

/** Ten minutes ago: on time for the 24-hour delivery limit, so no document is reported late. */
const recentDischarge = () => new Date(Date.now() - 10 * 60_000).toISOString();

export const documentPipeline = {
  name: 'document',
  title: 'Document submit → inbox',
  description:
    '`POST /fhir/$submit-document` of a final inpatient discharge summary (~6 kB, a new document id each time) for a patient registered at a local practice: assured, stored (Bundle + DocumentReference), routed and delivered to the practice inbox (ledger final → queued → delivered) in one transaction',
  kind: 'http',
  compare: ['raw-document'],
  needs: ['organisation'],
  async check(ctx) {
    const { patients } = await documentWorld(ctx);
    const response = await fetch(`${ctx.baseUrl}/fhir/$submit-document`, {
      method: 'POST',
      headers: ctx.headers,
      body: JSON.stringify(dischargeSummary(randomUUID(), patients[0], new Date(recentDischarge()))),
    });
    const body = await response.text();
    const parameters = response.status === 201 ? (JSON.parse(body).parameter ?? []) : [];
    const value = (parts, name) => parts.find((p) => p.name === name)?.valueCode;
    const rows = parameters.filter((p) => p.name === 'recipient').map((p) => p.part ?? []);
    const delivered =
      value(parameters, 'outcome') === 'accepted' &&
      rows.length === 1 &&
      value(rows[0], 'transport') === 'local' &&
      value(rows[0], 'state') === 'delivered';
    if (!delivered) {
      throw new Error(
        `document check: expected 201, accepted, one local row delivered to ${DOCUMENT_PRACTICE.odsCode}; got ${response.status}: ${body.slice(0, 800)}`,
      );
    }
  },
  data(ctx) {
    const world = worlds.get(ctx);
    if (!world) throw new Error('document: the check (which sets up the practice and patients) has not run');
    return { patients: world.patients, dischargeAt: recentDischarge(), seed: ctx.nextSeed() };
  },
  load({ patients, dischargeAt, seed }) {
    const random = mulberry32(seed);
    const at = new Date(dischargeAt);
    return {
      requests: [
        {
          method: 'POST',
          path: '/fhir/$submit-document',
          headers: FHIR_HEADERS,
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify(
              dischargeSummary(randomUUID(), patients[Math.floor(random() * patients.length)], at),
            ),
          }),
        },
      ],
    };
  },
};

/**
 * The raw ceiling: in one transaction, the server's own create statements for the document Bundle
 * and its DocumentReference (resource, history and search-index rows, SQL and parameters produced by
 * the built server's ResourceStore), the exchange_document row, and the delivery row taken final →
 * queued → delivered with its three ledger events, as named prepared statements. Left out: the
 * server's reads (patient match, directory), assurance, the audit record and the replay record.
 */
async function recordDocumentTemplates() {
  let ResourceStore;
  let extractIndexRows;
  try {
    ({ ResourceStore } = await import('../../packages/server/dist/store/resource-store.js'));
    ({ extractIndexRows } = await import('../../packages/domain/dist/index.js'));
  } catch (error) {
    throw new Error(`raw-document needs the built server's ResourceStore: ${error.message}`);
  }
  const markers = { document: randomUUID(), bundle: randomUUID(), reference: randomUUID() };
  const patient = documentPatient('9990000018', 0);
  const bundle = dischargeSummary(markers.document, patient, new Date());
  const reference = {
    resourceType: 'DocumentReference',
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: markers.document },
    identifier: [{ system: 'https://carebridge.dev/fhir/Id/document-set', value: `set-${markers.document}` }],
    status: 'current',
    docStatus: 'final',
    type: bundle.entry[0].resource.type,
    subject: { reference: `Patient/${patient.id}` },
    date: bundle.timestamp,
    author: [{ reference: `Organization/${BENCH_ORGANIZATION.id}` }],
    custodian: { reference: `Organization/${BENCH_ORGANIZATION.id}` },
    description: bundle.entry[0].resource.title,
    content: [
      {
        attachment: {
          contentType: 'application/fhir+json',
          url: `Bundle/${markers.bundle}`,
          title: bundle.entry[0].resource.title,
        },
      },
    ],
  };
  const statements = [];
  const recorder = {
    query: async (sql, params = []) => {
      statements.push({ sql, params: [...params] });
      return { rows: [{ rid: 1 }], rowCount: 1 };
    },
    exec: async (sql) => statements.push({ sql, params: [] }),
  };
  const store = (id) =>
    new ResourceStore({ clock: { now: () => new Date() }, indexRows: extractIndexRows, newId: () => id });
  await store(markers.bundle).create(recorder, bundle);
  await store(markers.reference).create(recorder, reference);
  for (const statement of statements) {
    if (statement.params.length > 0) {
      statement.name = `bench_${createHash('sha256').update(statement.sql).digest('base64url').slice(0, 22)}`;
    }
  }
  return { markers, statements, patientId: patient.id };
}

const INSERT_DOCUMENT = `insert into exchange_document (document_id, set_id, version, kind, title, status,
    patient_id, nhs_number, sender_org_id, sender_ods, content_hash, event_at, bundle_id, document_reference_id,
    assurance, coded_entries, has_medication_changes, has_actions, submitted_by, created_at, authorised_at, updated_at)
  values ($1, $2, 1, 'inpatient-discharge', 'Inpatient and day case discharge summary', 'final', $3, '9990000018',
    $4, $5, $6, $7::timestamptz, $8, $9, '{"outcome":"accepted","warnings":[]}'::jsonb,
    '{"conditions":[],"allergies":[],"medications":[],"actions":[]}'::jsonb, true, true, 'carebridge-bench',
    $7::timestamptz, $7::timestamptz, $7::timestamptz)
  returning id`;
const INSERT_ROW = `insert into delivery_row (document_row, document_id, recipient_kind, recipient_key,
    recipient_org_id, recipient_ods, transport, state, created_at, authorised_at, updated_at)
  values ($1, $2, 'practice', $3, $4, $5, 'local', 'final', $6::timestamptz, $6::timestamptz, $6::timestamptz)
  returning id`;
const MOVE_ROW = `update delivery_row set state = $3, queued_at = coalesce(queued_at, $4::timestamptz),
    delivered_at = case when $3 = 'delivered' then $4::timestamptz end, updated_at = $4::timestamptz
  where id = $1 and state = $2`;
const INSERT_EVENT = `insert into delivery_event (row_id, from_state, to_state, at, subject, role, organization_id, reason)
  values ($1, $2, $3, $4::timestamptz, 'carebridge-bench', 'system', $5, $6)`;

export const rawDocument = {
  name: 'raw-document',
  title: 'Raw document',
  description:
    "`begin`; the server's create statements for the document Bundle and its DocumentReference (produced by the built server's ResourceStore); the exchange_document row; the delivery row final → queued → delivered with its three ledger events; `commit`, straight through `pg` as named prepared statements; no reads, assurance, audit or replay record",
  kind: 'pg',
  async load() {
    const { markers, statements, patientId } = await recordDocumentTemplates();
    const replace = (value, ids) =>
      typeof value === 'string'
        ? value
            .replaceAll(markers.document, ids.document)
            .replaceAll(markers.bundle, ids.bundle)
            .replaceAll(markers.reference, ids.reference)
        : value;
    return {
      async operation(client) {
        const ids = { document: randomUUID(), bundle: randomUUID(), reference: randomUUID() };
        const now = new Date().toISOString();
        await client.query('begin');
        try {
          for (const { name, sql, params } of statements) {
            const values = params.map((p) => replace(p, ids));
            await client.query(name ? { name, text: sql, values } : sql, values);
          }
          const { rows } = await client.query({
            name: 'bench_raw_document_insert',
            text: INSERT_DOCUMENT,
            values: [
              ids.document,
              `set-${ids.document}`,
              patientId,
              BENCH_ORGANIZATION.id,
              BENCH_ORGANIZATION.odsCode,
              ids.document,
              now,
              ids.bundle,
              ids.reference,
            ],
          });
          const row = await client.query({
            name: 'bench_raw_document_row',
            text: INSERT_ROW,
            values: [
              rows[0].id,
              ids.document,
              `org:${DOCUMENT_PRACTICE.id}`,
              DOCUMENT_PRACTICE.id,
              DOCUMENT_PRACTICE.odsCode,
              now,
            ],
          });
          const rowId = row.rows[0].id;
          const event = (from, to, reason) =>
            client.query({
              name: 'bench_raw_document_event',
              text: INSERT_EVENT,
              values: [rowId, from, to, now, BENCH_ORGANIZATION.id, reason],
            });
          await event(null, 'final', null);
          for (const [from, to, reason] of [
            ['final', 'queued', 'queue'],
            ['queued', 'delivered', 'deliver:inbox'],
          ]) {
            await client.query({
              name: 'bench_raw_document_move',
              text: MOVE_ROW,
              values: [rowId, from, to, now],
            });
            await event(from, to, reason);
          }
          await client.query('commit');
        } catch (error) {
          await client.query('rollback').catch(() => {});
          throw error;
        }
      },
    };
  },
};
