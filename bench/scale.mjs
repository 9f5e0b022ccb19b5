#!/usr/bin/env node
// `npm run bench:scale`: how read-by-id and identifier-search latency grow with the number of stored
// resources, on PostgreSQL, from 10,000 to 1,000,000 Patients. Writes docs/SCALE.md (a plain run
// with no arguments); any other invocation only prints.
//
//   npm run bench:scale                          10,000 → 100,000 → 1,000,000; rewrites docs/SCALE.md
//   npm run bench:scale -- --sizes=10000,50000   other sizes; prints only
//   npm run bench:scale -- --duration=5          seconds per measured run (default 10)
//   npm run bench:scale -- --budget=15           stop before a size that would end past 15 minutes
//
// The data is loaded FAST, not through the API: one Patient is created through the server (so its
// resource, history and every index row are the server's own), then copied in SQL, in batches of
// 50,000, under new ids and identifiers: the resource and history rows, and every row of every
// per-resource table (search_*, resource_compartment, access_relationship), with the template's id
// and identifier replaced. Reads and searches then go through the server, as a client sees them.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { BENCH_ORGANIZATION, FHIR_HEADERS, organizationResource } from './lib/fhir.mjs';
import {
  createScratchDatabase,
  dropScratchDatabases,
  postgresSettings,
  postgresVersion,
} from './lib/postgres.mjs';
import { commandOutput, freePort, killAll, startServer, stopChild } from './lib/processes.mjs';
import { mulberry32, percentile, Samples } from './lib/stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const DOCS = join(root, 'docs', 'SCALE.md');
const SERVER_ENTRY = process.env.BENCH_SERVER ?? 'packages/server/dist/main.js';
const CONNECTIONS = 16;
const BATCH = 50_000;
const MRN_SYSTEM = 'https://carebridge.dev/fhir/Id/bench-scale-mrn';
const TEMPLATE_ID = 'scale-template';
const TEMPLATE_MRN = 'scale-template-mrn';
const CLIENT_ID = 'carebridge-bench';
const SCOPES = 'system/*.cruds';

const USAGE =
  'usage: npm run bench:scale -- [--sizes=10000,100000,1000000] [--duration=S] [--warmup=S] [--budget=MINUTES]';

function parseArgs(argv) {
  const options = {
    sizes: [10_000, 100_000, 1_000_000],
    durationMs: 10_000,
    warmupMs: 3_000,
    budgetMs: 15 * 60_000,
  };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2);
    const number = () => {
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed <= 0)
        throw new Error(`${flag} needs a positive number\n${USAGE}`);
      return parsed;
    };
    if (flag === '--sizes') {
      options.sizes = value.split(',').map(Number);
      if (options.sizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error(USAGE);
      options.sizes.sort((a, b) => a - b);
    } else if (flag === '--duration') options.durationMs = number() * 1000;
    else if (flag === '--warmup') options.warmupMs = number() * 1000;
    else if (flag === '--budget') options.budgetMs = number() * 60_000;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}

const patientId = (n) => `scale-${String(n).padStart(7, '0')}`;
const mrn = (n) => `scale-mrn-${String(n).padStart(7, '0')}`;
const fmt = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const thousands = (value) => Math.round(value).toLocaleString('en-GB');

function templatePatient() {
  return {
    resourceType: 'Patient',
    id: TEMPLATE_ID,
    identifier: [{ system: MRN_SYSTEM, value: TEMPLATE_MRN }],
    active: true,
    name: [{ use: 'official', family: 'Scale', given: ['Template'] }],
    telecom: [{ system: 'phone', value: '07700 900123', use: 'mobile' }],
    gender: 'female',
    birthDate: '1961-04-12',
    address: [{ use: 'home', line: ['12 Mill Lane'], city: 'Kingsmere', postalCode: 'ZX1 1TR' }],
    generalPractitioner: [
      { reference: `Organization/${BENCH_ORGANIZATION.id}`, display: BENCH_ORGANIZATION.name },
    ],
  };
}

async function accessToken(baseUrl, secret) {
  const response = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPES }).toString(),
  });
  const body = await response.text();
  if (response.status !== 200)
    throw new Error(`/auth/token answered ${response.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body).access_token;
}

async function put(baseUrl, headers, resource) {
  const response = await fetch(`${baseUrl}/fhir/${resource.resourceType}/${resource.id}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(resource),
  });
  const body = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${response.status}: ${body.slice(0, 500)}`);
  }
}

/**
 * The columns to copy for every per-resource table (those keyed by `rid`, except `resource`), read
 * from the database so that a new index table is copied too.
 */
async function cloneableTables(client) {
  const { rows } = await client.query(
    `select c.table_name as table, c.column_name as column, c.data_type as type
       from information_schema.columns c
      where c.table_schema = current_schema() and c.is_identity = 'NO' and c.is_generated = 'NEVER'
        and c.table_name <> 'resource'
        and exists (select 1 from information_schema.columns r
                     where r.table_schema = c.table_schema and r.table_name = c.table_name and r.column_name = 'rid')
      order by c.table_name, c.ordinal_position`,
  );
  const tables = new Map();
  for (const { table, column, type } of rows) {
    if (!tables.has(table)) tables.set(table, []);
    tables.get(table).push({ column, text: type === 'text' });
  }
  return tables;
}

/** Copies the template Patient as Patients `from`…`to` (one transaction). */
async function cloneBatch(client, tables, templateRid, from, to) {
  const swap = (expression) =>
    `replace(replace(${expression}, '${TEMPLATE_MRN}', m.mrn), '${TEMPLATE_ID}', m.id)`;
  await client.query('begin');
  try {
    await client.query(
      `create temp table scale_map (n bigint primary key, id text not null, mrn text not null, rid bigint) on commit drop`,
    );
    await client.query(
      `insert into scale_map (n, id, mrn)
       select g, 'scale-' || lpad(g::text, 7, '0'), 'scale-mrn-' || lpad(g::text, 7, '0') from generate_series($1::bigint, $2::bigint) g`,
      [from, to],
    );
    await client.query(
      `with inserted as (
         insert into resource (resource_type, id, version_id, last_updated, deleted, content)
         select t.resource_type, m.id, 1, t.last_updated, false, ${swap('t.content')}
           from scale_map m cross join (select * from resource where rid = $1) t
         returning rid, id)
       update scale_map m set rid = inserted.rid from inserted where inserted.id = m.id`,
      [templateRid],
    );
    await client.query(
      `insert into resource_history (resource_type, id, version_id, last_updated, method, deleted, content)
       select h.resource_type, m.id, 1, h.last_updated, h.method, false, ${swap('h.content')}
         from scale_map m cross join (select * from resource_history where resource_type = 'Patient' and id = $1 and version_id = 1) h`,
      [TEMPLATE_ID],
    );
    for (const [table, columns] of tables) {
      const names = columns.map(({ column }) => column);
      const values = columns.map(({ column, text }) =>
        column === 'rid' ? 'm.rid' : text ? swap(`s.${column}`) : `s.${column}`,
      );
      await client.query(
        `insert into ${table} (${names.join(', ')}) select ${values.join(', ')} from ${table} s cross join scale_map m where s.rid = $1`,
        [templateRid],
      );
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

/** A closed loop of autocannon connections for `durationMs`; per-response latencies. */
async function httpLoad(baseUrl, token, durationMs, path, connections = CONNECTIONS) {
  const latencies = new Samples();
  let bad = 0;
  let firstBad;
  const instance = autocannon({
    url: baseUrl,
    connections,
    duration: durationMs / 1000,
    timeout: 30,
    requests: [
      {
        method: 'GET',
        path: '/fhir/metadata',
        headers: { ...FHIR_HEADERS, authorization: `Bearer ${token}` },
        setupRequest: (request) => ({ ...request, path: path() }),
        onResponse: (status, body) => {
          if (status !== 200) {
            bad++;
            firstBad ??= `${status}: ${String(body).slice(0, 300)}`;
          }
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const summary = await instance;
  const values = latencies.toArray();
  if (bad > 0 || summary.errors + summary.timeouts > 0) {
    throw new Error(
      `${bad} non-200 answers, ${summary.errors + summary.timeouts} errors; first: ${firstBad ?? 'n/a'}`,
    );
  }
  return {
    requests: values.length,
    throughput: values.length / (durationMs / 1000),
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  };
}

/** The raw floor: the same lookup straight through `pg`, one client, one lookup after another. */
async function rawLoad(databaseUrl, durationMs, statement) {
  const clients = [];
  try {
    for (let i = 0; i < 1; i++) {
      const client = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'carebridge-bench-scale',
      });
      await client.connect();
      clients.push(client);
    }
    const latencies = new Samples();
    const deadline = performance.now() + durationMs;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          const { rows } = await client.query(statement());
          if (rows.length !== 1) throw new Error(`raw lookup found ${rows.length} rows`);
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const values = latencies.toArray();
    return {
      requests: values.length,
      throughput: values.length / (durationMs / 1000),
      p50: percentile(values, 50),
      p99: percentile(values, 99),
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

async function sizeOnDisk(client) {
  const { rows } = await client.query('select pg_database_size(current_database()) as bytes');
  return Number(rows[0].bytes);
}

async function verify(baseUrl, headers, count, random) {
  for (let i = 0; i < 5; i++) {
    const n = 1 + Math.floor(random() * (count - 1));
    const read = await fetch(`${baseUrl}/fhir/Patient/${patientId(n)}`, { headers });
    const patient = read.status === 200 ? await read.json() : undefined;
    if (patient?.identifier?.[0]?.value !== mrn(n))
      throw new Error(`verify: Patient/${patientId(n)} answered ${read.status}`);
    const search = await fetch(
      `${baseUrl}/fhir/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${mrn(n)}`)}`,
      { headers },
    );
    const bundle = search.status === 200 ? await search.json() : {};
    const matches = (bundle.entry ?? []).filter((entry) => entry.search?.mode !== 'include');
    if (matches.length !== 1 || matches[0].resource?.id !== patientId(n)) {
      throw new Error(`verify: identifier search for ${mrn(n)} found ${matches.length}`);
    }
  }
}

function renderReport(run) {
  const rows = run.steps.map((s) =>
    [
      thousands(s.resources),
      `${(s.databaseBytes / 1e9).toFixed(2)} GB`,
      `${fmt(s.read1.p50)} / ${fmt(s.read1.p99)}`,
      `${fmt(s.search1.p50)} / ${fmt(s.search1.p99)}`,
      `${fmt(s.rawRead.p50)} / ${fmt(s.rawRead.p99)}`,
      `${fmt(s.rawSearch.p50)} / ${fmt(s.rawSearch.p99)}`,
      `${fmt(s.read.p50)} / ${fmt(s.read.p99)}`,
      thousands(s.read.throughput),
      `${fmt(s.search.p50)} / ${fmt(s.search.p99)}`,
      thousands(s.search.throughput),
    ].join(' | '),
  );
  const first = run.steps[0];
  const last = run.steps[run.steps.length - 1];
  const growth = (pick) => (first && last && first !== last ? `${fmt(pick(last) / pick(first), 2)}×` : 'n/a');
  return `# Scale: latency from ${thousands(run.steps[0]?.resources ?? 0)} to ${thousands(last?.resources ?? 0)} stored resources

<!-- Written by \`npm run bench:scale\` (bench/scale.mjs), rewritten by every plain run: do not edit by hand. -->

Run on ${run.startedAt.slice(0, 10)} (${run.startedAt.slice(11, 16)}–${run.finishedAt.slice(11, 16)} UTC), ${run.machine}.
PostgreSQL ${run.postgres} (${run.settings}). Load average before → after: ${run.loadBefore} → ${run.loadAfter}.
Linked from [\`BENCHMARKS.md\`](BENCHMARKS.md).

\`\`\`sh
${run.command}
\`\`\`

Latency in milliseconds, p50 / p99. *1 connection*: one request after another, the latency of an unloaded server. *${CONNECTIONS} connections*: a closed loop at full load (latency includes queueing behind the other connections).

| Stored resources | database size | read by id, 1 connection | identifier search, 1 connection | raw \`pg\` by id, 1 client | raw \`pg\` by identifier, 1 client | read by id, ${CONNECTIONS} connections | read req/s | identifier search, ${CONNECTIONS} connections | search req/s |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map((row) => `| ${row} |`).join('\n')}

From the smallest to the largest size, on one connection, read-by-id p50 changed ${growth((s) => s.read1.p50)} and p99 ${growth((s) => s.read1.p99)}; identifier search p50 ${growth((s) => s.search1.p50)} and p99 ${growth((s) => s.search1.p99)}. At full load, read throughput changed ${growth((s) => s.read.throughput)} and search throughput ${growth((s) => s.search.throughput)}.
${run.stopped ? `\n**Stopped early:** ${run.stopped}\n` : ''}
## How the data was loaded

${run.loads.map((l) => `- to ${thousands(l.to)} Patients: ${thousands(l.added)} copied in ${fmt(l.seconds, 1)} s (${thousands(l.added / l.seconds)} Patients/s), then \`VACUUM (ANALYZE)\` in ${fmt(l.vacuumSeconds, 1)} s`).join('\n')}

Not through the API, which would take hours at these sizes. One Patient (\`${TEMPLATE_ID}\`, registered with the bench practice, with an MRN identifier) is created through the server with \`PUT\`, so its resource row, history row and every index row are the server's own. It is then copied in SQL, ${thousands(BATCH)} Patients per transaction: the \`resource\` and \`resource_history\` rows, and the rows of every table keyed by \`rid\` (the \`search_*\` tables, \`resource_compartment\`, \`access_relationship\`, read from \`information_schema\` so a new index table is copied too), with the template's id and identifier replaced by \`scale-<n>\` and \`scale-mrn-<n>\`. All copies share the template's name, address and birth date, so only id and identifier lookups are meaningful here (a name search would match every patient). Before measuring, 5 random copies are read and searched through the API and must come back with their own identifier, exactly once. Copies have no audit records (they were never requested); the measured reads and searches are audited as usual.

The identifier is an MRN (\`${MRN_SYSTEM}\`), not an NHS number: the 999 test range has fewer than a million valid NHS numbers. The lookup is the same token index either way.

## Method

- One server process (\`node ${SERVER_ENTRY}\`, \`SEED=none\`, default pool of 20) on a scratch database \`carebridge_scale_<pid>\` on the shared cluster, dropped at the end; the client is a system client (client credentials, \`system/*.cruds\`) acting for the practice every Patient is registered with, so each request passes token verification, the access predicate and auditing.
- At each size: \`VACUUM (ANALYZE)\` after loading (the shared cluster runs with autovacuum off), a ${run.warmupMs / 1000} s warm-up of each workload (discarded), then ${run.durationMs / 1000} s each of \`GET /fhir/Patient/<id>\` and \`GET /fhir/Patient?identifier=<system>|<mrn>\`, first on 1 autocannon connection, then on ${CONNECTIONS} (closed loops, in this process), the id or identifier drawn uniformly from all stored Patients.
- Raw floors at each size, ${run.durationMs / 2000} s each on one \`pg\` client: \`select content from resource where resource_type = 'Patient' and id = $1\`, and the identifier lookup the server's search rests on (\`search_token\` joined to \`resource\`), as named prepared statements.
- The data fits in memory (${run.memory}), so after the warm-up the runs measure a warm cache: what grows is index depth and the cost of the access predicate, not disk reads.
- One run per size (a scale run is long); compare sizes within a run, not across runs. The 1-connection latencies are the ones to compare across sizes: at full load, throughput and queueing move with whatever else the 2 shared cores are doing. Other sessions share the 2 cores (load averages above).
`;
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  const writesDocs = argv.length === 0;
  const startedAt = new Date();
  const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
  const run = {
    startedAt: startedAt.toISOString(),
    command:
      process.env.npm_lifecycle_event === 'bench:scale'
        ? `npm run bench:scale${argv.length ? ` -- ${argv.join(' ')}` : ''}`
        : `node bench/scale.mjs ${argv.join(' ')}`.trim(),
    machine: `${commandOutput('nproc', []) ?? '?'} cores (${/^Model name:\s*(.+)$/m.exec(commandOutput('lscpu', []) ?? '')?.[1]?.trim() ?? 'unknown CPU'}), Node.js ${process.version}`,
    memory: `${/^Mem:\s+(\d+)/m.exec(commandOutput('free', ['-g']) ?? '')?.[1] ?? '?'} GiB of RAM`,
    postgres: await postgresVersion(),
    loadBefore: loadAverage(),
    durationMs: options.durationMs,
    warmupMs: options.warmupMs,
    steps: [],
    loads: [],
  };
  if (!run.postgres) throw new Error('PostgreSQL is not reachable (set BENCH_DATABASE_URL)');
  run.settings = await postgresSettings();
  const databaseUrl = await createScratchDatabase(`carebridge_scale_${process.pid}`);
  const secret = randomBytes(24).toString('hex');
  const server = await startServer({
    root,
    entry: SERVER_ENTRY,
    port: await freePort(),
    env: {
      SEED: 'none',
      DATABASE_URL: databaseUrl,
      CURSOR_SECRET: 'carebridge-bench-cursor-secret',
      IDENTITY_ACCESS_TOKEN_TTL: '3600',
      // Load generators are one client far past any real one: per-client rate limits would measure
      // the limiter, not the server (docs/identity.md § Rate limits).
      RATE_LIMIT_SYSTEM_PER_MINUTE: '0',
      SYSTEM_CLIENTS: JSON.stringify([
        {
          clientId: CLIENT_ID,
          secret,
          allowedScopes: SCOPES,
          organizationId: BENCH_ORGANIZATION.id,
          odsCode: BENCH_ORGANIZATION.odsCode,
          name: 'Carebridge bench',
        },
      ]),
    },
  });
  const token = await accessToken(server.baseUrl, secret);
  const headers = { ...FHIR_HEADERS, authorization: `Bearer ${token}` };
  await put(server.baseUrl, headers, organizationResource());
  await put(server.baseUrl, headers, templatePatient());
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const templateRid = (
      await db.query(`select rid from resource where resource_type = 'Patient' and id = $1`, [TEMPLATE_ID])
    ).rows[0].rid;
    const tables = await cloneableTables(db);
    console.log(`Copying into ${[...tables.keys()].join(', ')} (and resource, resource_history)`);
    let patients = 1;
    let loadRate;
    const random = mulberry32(20261121);
    for (const size of options.sizes) {
      // Stop before a size whose load (at the rate seen so far) and measurement would end past the budget.
      const spent = Date.now() - startedAt.getTime();
      const projected = loadRate ? (size - patients) / loadRate : 0;
      const measuring = 4 * (options.warmupMs + options.durationMs);
      if (loadRate && spent + projected * 1000 + measuring > options.budgetMs) {
        run.stopped = `loading to ${thousands(size)} would take about ${Math.round(projected)} s more at ${thousands(loadRate)} Patients/s, past the ${options.budgetMs / 60_000}-minute budget; the largest size reached is ${thousands(patients)}.`;
        console.log(`STOP: ${run.stopped}`);
        break;
      }
      if (size > patients) {
        const loadStart = performance.now();
        const from = patients;
        while (patients < size) {
          const to = Math.min(size - 1, patients + BATCH - 1);
          await cloneBatch(db, tables, templateRid, patients, to);
          patients = to + 1;
          const rate = (patients - from) / ((performance.now() - loadStart) / 1000);
          process.stdout.write(`\r  ${thousands(patients)} Patients (${thousands(rate)}/s)   `);
        }
        const seconds = (performance.now() - loadStart) / 1000;
        loadRate = (patients - from) / seconds;
        const vacuumStart = performance.now();
        await db.query('vacuum (analyze)');
        const vacuumSeconds = (performance.now() - vacuumStart) / 1000;
        run.loads.push({ to: patients, added: patients - from, seconds, vacuumSeconds });
        console.log(
          `\nloaded ${thousands(patients)} Patients in ${fmt(seconds, 1)} s; VACUUM (ANALYZE) ${fmt(vacuumSeconds, 1)} s`,
        );
      }
      await verify(server.baseUrl, headers, patients, random);
      const resources = Number((await db.query('select count(*) as n from resource')).rows[0].n);
      const pick = () => 1 + Math.floor(random() * (patients - 1));
      const readPath = () => `/fhir/Patient/${patientId(pick())}`;
      const searchPath = () =>
        `/fhir/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${mrn(pick())}`)}`;
      await httpLoad(server.baseUrl, token, options.warmupMs, readPath);
      await httpLoad(server.baseUrl, token, options.warmupMs, searchPath);
      const read1 = await httpLoad(server.baseUrl, token, options.durationMs, readPath, 1);
      const search1 = await httpLoad(server.baseUrl, token, options.durationMs, searchPath, 1);
      const read = await httpLoad(server.baseUrl, token, options.durationMs, readPath);
      const search = await httpLoad(server.baseUrl, token, options.durationMs, searchPath);
      const rawRead = await rawLoad(databaseUrl, options.durationMs / 2, () => ({
        name: 'scale_raw_read',
        text: `select content from resource where resource_type = 'Patient' and id = $1`,
        values: [patientId(pick())],
      }));
      const rawSearch = await rawLoad(databaseUrl, options.durationMs / 2, () => ({
        name: 'scale_raw_identifier',
        text: `select r.content from search_token t join resource r on r.rid = t.rid
                where t.resource_type = 'Patient' and t.param = 'identifier' and t.code = $2 and t.system = $1 and not r.deleted`,
        values: [MRN_SYSTEM, mrn(pick())],
      }));
      const step = {
        resources,
        databaseBytes: await sizeOnDisk(db),
        read1,
        search1,
        read,
        search,
        rawRead,
        rawSearch,
      };
      run.steps.push(step);
      console.log(
        `${thousands(resources)} resources, 1 connection: read p50 ${fmt(read1.p50)} p99 ${fmt(read1.p99)} ms; ` +
          `search p50 ${fmt(search1.p50)} p99 ${fmt(search1.p99)} ms`,
      );
      console.log(
        `${thousands(resources)} resources, ${CONNECTIONS} connections: read p50 ${fmt(read.p50)} p99 ${fmt(read.p99)} ms (${thousands(read.throughput)}/s); ` +
          `search p50 ${fmt(search.p50)} p99 ${fmt(search.p99)} ms (${thousands(search.throughput)}/s); ` +
          `raw by id p50 ${fmt(rawRead.p50)} p99 ${fmt(rawRead.p99)}; raw by identifier p50 ${fmt(rawSearch.p50)} p99 ${fmt(rawSearch.p99)}`,
      );
    }
  } finally {
    await db.end().catch(() => {});
    await stopChild(server.child);
  }
  run.finishedAt = new Date().toISOString();
  run.loadAfter = loadAverage();
  const report = renderReport(run);
  console.log(`\n${report}`);
  if (writesDocs) {
    mkdirSync(join(root, 'docs'), { recursive: true });
    writeFileSync(DOCS, report);
    console.log(`Wrote ${DOCS}`);
  } else console.log('(docs/SCALE.md not rewritten: only a plain `npm run bench:scale` writes it)');
}

let interrupted = false;
const cleanup = async () => {
  await killAll();
  await dropScratchDatabases();
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the server, dropping the scratch database…`);
    cleanup().finally(() => process.exit(130));
  });
}
main().then(
  () => cleanup().then(() => process.exit(0)),
  (error) => {
    if (interrupted) return;
    console.error(`\nSCALE BENCH FAILED: ${error.stack ?? error}`);
    cleanup().finally(() => process.exit(1));
  },
);
