// The backlog of a real incident: N letters found in a trust's outbox after an outage, ingested
// through `$submit-document` with hold-for-release (assurance, patient match, routing, storage),
// then delivered by a backlog release run as an operator runs it (`npm run cli -- backlog release`),
// and finally counted from the database: delivered exactly once, nothing lost, nothing duplicated.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  BACKLOG_PRACTICES,
  BACKLOG_TRUST,
  letter,
  organisation,
  registeredPatient,
} from '../lib/letters.mjs';
import { captureTail, track } from '../lib/processes.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The size of the largest lost-letter backlog on record (issue 4). */
export const DEFAULT_LETTERS = 32_619;
const QUICK_LETTERS = 2_000;
/** Batch Bundles in flight at once while ingesting, and letters per Bundle. */
const INGEST_CONCURRENCY = Number(process.env.BENCH_BACKLOG_CONCURRENCY ?? 4);
const INGEST_BUNDLE = Number(process.env.BENCH_BACKLOG_BUNDLE ?? 50);
/** Letters per patient, on average: most patients have one or two, some many. */
const LETTERS_PER_PATIENT = 2.5;

export default {
  name: 'backlog',
  title: 'Backlog release',
  description:
    'N letters (discharge summaries and clinic letters, 6 practices, 2.5 letters per patient) ingested through ' +
    '`$submit-document` with `hold-for-release` (FHIR batch Bundles of 50 entries, 4 in flight), then delivered by ' +
    '`npm run cli -- backlog release` (batches of 500 rows per committed transaction); seconds = ingest + release; ' +
    'delivered, lost and duplicated are counted from the database afterwards',
  kind: 'backlog',
  baseline: 'raw-insert',
  /** Issue 4: 32,619 letters in at most 60 s on PostgreSQL. */
  goal: { letters: DEFAULT_LETTERS, seconds: 60 },
  lettersFor(settings) {
    return settings.letters ?? (settings.quick ? QUICK_LETTERS : DEFAULT_LETTERS);
  },
  run: runBacklog,
};

/** The system clients the workload uses: the trust's EPR feed, and one per practice (its registrations). */
export const BACKLOG_CLIENTS = [BACKLOG_TRUST, ...BACKLOG_PRACTICES].map((org) => ({
  clientId: `${org.id}-client`,
  organizationId: org.id,
  odsCode: org.odsCode,
  name: org.name,
}));

/**
 * One database's run: directory and patients first (not timed), then the timed ingest and release,
 * then the count. `hooks`: log, token(clientId), stopServer(), cliEnv (DATABASE_URL or DATA_DIR).
 */
async function runBacklog(ctx, hooks) {
  const letters = ctx.backlogLetters;
  if (!(letters >= 1)) throw new Error(`backlog: --letters must be a positive number, not ${letters}`);
  const headers = async (clientId) => ({
    'content-type': 'application/fhir+json',
    accept: 'application/fhir+json',
    authorization: `Bearer ${await hooks.token(clientId)}`,
  });
  const trustHeaders = await headers(`${BACKLOG_TRUST.id}-client`);
  for (const org of [BACKLOG_TRUST, ...BACKLOG_PRACTICES]) {
    await put(ctx.baseUrl, trustHeaders, organisation(org));
  }
  const patients = await registerPatients(ctx, hooks, headers, Math.ceil(letters / LETTERS_PER_PATIENT));
  hooks.log(`backlog: ${patients.length} patients registered at ${BACKLOG_PRACTICES.length} practices`);

  const now = new Date();
  const startedAt = performance.now();
  await ingest(ctx.baseUrl, trustHeaders, letters, (n) =>
    letter(n, patients[mix(n) % patients.length], BACKLOG_TRUST, now, 3 + (n % 40)),
  );
  const ingestSeconds = (performance.now() - startedAt) / 1000;
  hooks.log(
    `backlog: ingested ${letters} letters in ${ingestSeconds.toFixed(1)} s (${(letters / ingestSeconds).toFixed(0)}/s)`,
  );

  // PGlite allows one process per data directory: the operator stops the server before the CLI runs.
  if (ctx.database === 'pglite') await hooks.stopServer();
  const releaseStartedAt = performance.now();
  const output = await runCli(
    hooks.cliEnv,
    ['backlog', 'release', '--sender', BACKLOG_TRUST.odsCode],
    hooks.log,
  );
  const releaseSeconds = (performance.now() - releaseStartedAt) / 1000;
  hooks.log(
    `backlog: released in ${releaseSeconds.toFixed(1)} s: ${output.find((line) => line.startsWith('release ')) ?? ''}`,
  );
  if (ctx.database === 'postgres') await hooks.stopServer();

  const counts = await countFromDatabase(ctx, hooks.cliEnv);
  return {
    letters,
    patients: patients.length,
    practices: BACKLOG_PRACTICES.length,
    ingestSeconds,
    releaseSeconds,
    seconds: ingestSeconds + releaseSeconds,
    counts,
  };
}

/** Scatters letter numbers over patients (a 32-bit integer hash), so no practice gets every n-th letter. */
export function mix(n) {
  let h = n ^ (n >>> 16);
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

export async function put(baseUrl, headers, resource) {
  const response = await fetch(`${baseUrl}/fhir/${resource.resourceType}/${resource.id}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(resource),
  });
  const body = await response.text();
  if (response.status !== 200 && response.status !== 201)
    throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${response.status}: ${body.slice(0, 800)}`);
}

/** Patients round-robin over the practices, each practice registering its own (its own client). */
async function registerPatients(ctx, hooks, headers, count) {
  const patients = Array.from({ length: count }, (_, i) =>
    registeredPatient(ctx.nhs.next(), BACKLOG_PRACTICES[i % BACKLOG_PRACTICES.length]),
  );
  for (const [index, practice] of BACKLOG_PRACTICES.entries()) {
    const own = patients.filter((_, i) => i % BACKLOG_PRACTICES.length === index);
    const practiceHeaders = await headers(`${practice.id}-client`);
    for (let start = 0; start < own.length; start += 1000) {
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: own
          .slice(start, start + 1000)
          .map((resource) => ({ resource, request: { method: 'POST', url: 'Patient' } })),
      };
      const response = await fetch(`${ctx.baseUrl}/fhir`, {
        method: 'POST',
        headers: practiceHeaders,
        body: JSON.stringify(bundle),
      });
      const body = await response.text();
      if (response.status !== 200)
        throw new Error(`Registering patients: ${response.status}: ${body.slice(0, 800)}`);
    }
  }
  return patients;
}

/**
 * Submits letters 0..count-1 as a sender's integration engine catching up would: FHIR batch Bundles of
 * `$submit-document` entries (each entry its own submission, savepoint and answer), a few in flight at
 * once. Any entry answered other than 201 accepted stops the bench. `hold: false` delivers each at once.
 */
export async function ingest(baseUrl, headers, count, build, { hold = true } = {}) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const first = next;
      next = Math.min(count, next + INGEST_BUNDLE);
      const numbers = Array.from({ length: next - first }, (_, i) => first + i);
      const bundle = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: numbers.map((n) => ({
          request: { method: 'POST', url: '$submit-document' },
          resource: {
            resourceType: 'Parameters',
            parameter: [
              { name: 'document', resource: build(n) },
              ...(hold ? [{ name: 'hold-for-release', valueBoolean: true }] : []),
            ],
          },
        })),
      };
      const response = await fetch(`${baseUrl}/fhir`, {
        method: 'POST',
        headers,
        body: JSON.stringify(bundle),
      });
      const text = await response.text();
      const entries = response.status === 200 ? (JSON.parse(text).entry ?? []) : [];
      const failed = entries.findIndex((entry) => !entry.response?.status?.startsWith('201'));
      if (entries.length !== numbers.length || failed >= 0) {
        throw new Error(
          `Letters ${first}–${next - 1}: ${response.status}: ${JSON.stringify(entries[failed] ?? text).slice(0, 1000)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, worker));
}

/** Runs the built CLI to completion, passing its progress lines to the log; returns its output lines. */
function runCli(env, args, log) {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, ['packages/server/dist/cli/main.js', ...args], {
        cwd: root,
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const lines = [];
    const stderr = captureTail(child.stderr);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        log(`backlog release: ${line}`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(lines) : reject(new Error(`backlog release exited ${code}: ${stderr.join('\n')}`)),
    );
  });
}

/**
 * The figures, from the database itself rather than from what the bench sent or the CLI said:
 * letters stored; letters with a delivered row; letters with none (lost); deliveries beyond one per
 * row, plus delivered rows repeating content a recipient already had (duplicated); rows still waiting.
 */
const COUNT_SQL = `
  with docs as (select id, content_hash from exchange_document where sender_ods = $1),
  rows as (select d.*, docs.content_hash from delivery_row d join docs on docs.id = d.document_row),
  delivered_rows as (select * from rows where delivered_at is not null)
  select
    (select count(*)::int from docs) as letters,
    (select count(distinct document_row)::int from delivered_rows) as delivered,
    (select count(*)::int from docs where not exists
      (select 1 from delivered_rows r where r.document_row = docs.id)) as lost,
    (select coalesce(sum(n - 1), 0)::int from (select count(*) as n from delivery_event v join rows on rows.id = v.row_id
       where v.to_state = 'delivered' group by v.row_id) per_row)
      + (select (count(*) - count(distinct (recipient_key, content_hash)))::int from delivered_rows) as duplicated,
    (select count(*)::int from rows where state in ('draft', 'awaiting-authorisation', 'final', 'queued')) as waiting`;

async function countFromDatabase(ctx, env) {
  if (ctx.database === 'postgres') {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(COUNT_SQL, [BACKLOG_TRUST.odsCode])).rows[0];
    } finally {
      await client.end();
    }
  }
  const require = createRequire(`${root}packages/server/package.json`);
  const { PGlite } = await import(require.resolve('@electric-sql/pglite'));
  const db = await PGlite.create(env.DATA_DIR);
  try {
    return (await db.query(COUNT_SQL, [BACKLOG_TRUST.odsCode])).rows[0];
  } finally {
    await db.close();
  }
}

/** The line issue 4 asks for, exactly. */
export function summaryLine(result) {
  const { counts } = result;
  return `letters=${counts.letters} delivered=${counts.delivered} lost=${counts.lost} duplicated=${counts.duplicated} seconds=${result.seconds.toFixed(1)}`;
}
