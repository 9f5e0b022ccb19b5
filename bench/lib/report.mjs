// Renders one bench run as Markdown: docs/BENCHMARKS.md for a full run, the console for any run.
// Deterministic: the same results always give the same text.
import { workloads } from '../workloads/index.mjs';

const DATABASE_TITLES = { postgres: 'PostgreSQL', pglite: 'PGlite' };

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const thousands = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-GB') : 'n/a');
const percent = (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : 'n/a');
const megabytes = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(0)} MB` : 'n/a');
const seconds = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a');
const verdict = (ok) => (ok ? '**PASS**' : '**MISS**');

function table(header, rows, align) {
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Goal rows: throughput ratios against the raw ceilings, start to ready, memory. */
function goalRows(results) {
  const rows = [];
  const postgres = results.databases.postgres;
  for (const workload of workloads.filter((w) => w.kind === 'http' && w.baseline)) {
    const server = postgres?.workloads[workload.name]?.median;
    const raw = postgres?.workloads[workload.baseline]?.median;
    if (!server || !raw) continue;
    const ratio = server.throughput / raw.throughput;
    rows.push([
      `PostgreSQL: ${workload.title.toLowerCase()} ÷ ${workload.baseline}`,
      `${percent(ratio)} (${thousands(server.throughput)} ÷ ${thousands(raw.throughput)} req/s)`,
      `≥ ${percent(workload.goal).replace('.0%', '%')}`,
      verdict(ratio >= workload.goal),
    ]);
  }
  for (const [database, phase] of Object.entries(results.databases)) {
    for (const workload of workloads.filter((w) => w.kind === 'http' && w.goals)) {
      for (const goal of workload.goals) {
        const measured = phase.workloads[workload.name]?.median;
        const against = phase.workloads[goal.against]?.median;
        if (!measured || !against) continue;
        const ratio = measured.throughput / against.throughput;
        rows.push([
          `${DATABASE_TITLES[database]}: ${goal.label}`,
          `${percent(ratio)} (${thousands(measured.throughput)} ÷ ${thousands(against.throughput)} req/s)`,
          `≥ ${percent(goal.atLeast).replace('.0%', '%')}`,
          verdict(ratio >= goal.atLeast),
        ]);
      }
    }
  }
  const backlogGoal = workloads.find((w) => w.kind === 'backlog')?.goal;
  const backlog = results.databases.postgres?.backlog;
  if (backlog && backlogGoal) {
    // The goal is a rate: 32,619 letters in 60 s; a smaller run is held to the same letters per second.
    const allowed = (backlogGoal.seconds * backlog.letters) / backlogGoal.letters;
    rows.push([
      `PostgreSQL: backlog of ${thousands(backlog.letters)} letters ingested and released`,
      `${fixed(backlog.seconds, 1)} s (${thousands(backlog.letters / backlog.seconds)} letters/s)`,
      `≤ ${fixed(allowed, 1)} s (${thousands(backlogGoal.letters)} in ${backlogGoal.seconds} s)`,
      verdict(backlog.seconds <= allowed && backlogIsWhole(backlog)),
    ]);
  }
  for (const [database, phase] of Object.entries(results.databases)) {
    if (phase.inbox) {
      const { api, browser, goalMs, letters } = phase.inbox;
      rows.push([
        `${DATABASE_TITLES[database]}: first page of a ${thousands(letters)}-letter inbox` +
          (browser ? ' (browser, navigation → first row, median)' : ' (`$inbox` p95; no Chromium)'),
        browser ? `${fixed(browser.medianMs, 0)} ms` : `${fixed(api.p95Ms, 1)} ms`,
        `< ${fixed(goalMs, 0)} ms`,
        verdict((browser?.medianMs ?? api.p95Ms) < goalMs && api.p95Ms < goalMs),
      ]);
    }
  }
  for (const [database, phase] of Object.entries(results.databases)) {
    if (phase.startup) {
      rows.push([
        `${DATABASE_TITLES[database]}: start to ready (median of ${phase.startup.samples.length})`,
        seconds(phase.startup.median),
        `≤ ${seconds(phase.startup.goalMs)}`,
        verdict(phase.startup.median <= phase.startup.goalMs),
      ]);
    }
  }
  for (const [database, phase] of Object.entries(results.databases)) {
    if (phase.soak) {
      rows.push([
        `${DATABASE_TITLES[database]}: VmRSS after ${Math.round(phase.soak.seconds)} s mixed load (peak VmHWM)`,
        `${megabytes(phase.soak.memory.rss)} (${megabytes(phase.soak.memory.hwm)})`,
        `≤ ${megabytes(phase.soak.goalBytes)}`,
        verdict(phase.soak.memory.rss <= phase.soak.goalBytes),
      ]);
    }
  }
  return rows;
}

function databaseSection(results, database, phase) {
  const title = DATABASE_TITLES[database];
  const lines = [`## ${title}`, ''];
  if (database === 'pglite') {
    lines.push(
      'PGlite runs inside the server process on one connection, so there is no raw ceiling of its own and ' +
        'the database’s CPU is part of the server’s.',
      '',
    );
  }
  const rows = [];
  for (const workload of workloads) {
    const entry = phase.workloads[workload.name];
    if (!entry) continue;
    const m = entry.median;
    rows.push([
      workload.kind === 'pg'
        ? `${workload.title} (\`${workload.name}\`, raw \`pg\`)`
        : `${workload.title} (\`${workload.name}\`)`,
      `**${thousands(m.throughput)}**`,
      entry.runs.map((run) => thousands(run.throughput)).join(' / '),
      fixed(m.p50, 2),
      fixed(m.p99, 2),
      `${m.non2xx + m.errors}`,
      workload.kind === 'pg' ? '–' : fixed(m.serverCpuMsPerRequest, 3),
      workload.kind === 'pg' ? '–' : fixed(m.serverCores, 2),
      database === 'postgres' ? fixed(m.postgresCpuMsPerRequest, 3) : 'in server',
      fixed(m.loadgenCpuMsPerRequest, 3),
    ]);
  }
  if (phase.soak) {
    const s = phase.soak;
    rows.push([
      `Mixed create/read/search (\`memory\`, ${Math.round(s.seconds)} s, 1 run)`,
      thousands(s.throughput),
      thousands(s.throughput),
      fixed(s.p50, 2),
      fixed(s.p99, 2),
      `${s.non2xx + s.errors}`,
      fixed(s.serverCpuMsPerRequest, 3),
      fixed(s.serverCores, 2),
      database === 'postgres' ? fixed(s.postgresCpuMsPerRequest, 3) : 'in server',
      fixed(s.loadgenCpuMsPerRequest, 3),
    ]);
  }
  if (rows.length > 0) {
    lines.push(
      table(
        [
          'Workload',
          'req/s (median)',
          'req/s per run',
          'p50 ms',
          'p99 ms',
          'non-2xx + errors',
          'server CPU ms/req',
          'server cores busy',
          'PostgreSQL CPU ms/req',
          'load generator CPU ms/req',
        ],
        rows,
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  const comparisons = [];
  for (const workload of workloads.filter((w) => w.kind === 'http' && w.compare)) {
    const server = phase.workloads[workload.name]?.median;
    for (const name of workload.compare) {
      const raw = phase.workloads[name]?.median;
      if (!server || !raw) continue;
      comparisons.push(
        `- ${workload.name} ÷ ${name}: ${percent(server.throughput / raw.throughput)} ` +
          `(${thousands(server.throughput)} ÷ ${thousands(raw.throughput)} req/s)`,
      );
    }
  }
  if (comparisons.length > 0) lines.push('Further ratios (no goal):', '', ...comparisons, '');
  if (phase.preload) {
    const p = phase.preload;
    lines.push(
      `Preload: ${thousands(p.count)} patients in transaction Bundles of ${thousands(p.bundleSize)} entries took ` +
        `${fixed(p.seconds, 1)} s (${thousands(p.count / p.seconds)} patients/s).`,
      '',
    );
  }
  return lines.join('\n');
}

/** Every letter delivered once, none lost, none delivered twice, no row left waiting. */
function backlogIsWhole(backlog) {
  const c = backlog.counts;
  return (
    c.delivered === backlog.letters &&
    c.letters === backlog.letters &&
    c.lost === 0 &&
    c.duplicated === 0 &&
    c.waiting === 0
  );
}

function backlogSection(results) {
  const entries = Object.entries(results.databases).filter(([, phase]) => phase.backlog);
  if (entries.length === 0) return '';
  const rawInsert = results.databases.postgres?.workloads['raw-insert']?.median?.throughput;
  const rows = entries.map(([database, { backlog: b }]) => [
    DATABASE_TITLES[database],
    thousands(b.letters),
    `${thousands(b.patients)} / ${b.practices}`,
    `${fixed(b.ingestSeconds, 1)} s (${thousands(b.letters / b.ingestSeconds)}/s)`,
    `${fixed(b.releaseSeconds, 1)} s (${thousands(b.letters / b.releaseSeconds)}/s)`,
    `**${fixed(b.seconds, 1)} s**`,
    `${b.counts.delivered} / ${b.counts.lost} / ${b.counts.duplicated} / ${b.counts.waiting}`,
    Number.isFinite(rawInsert) ? percent(b.letters / b.seconds / rawInsert) : 'n/a',
  ]);
  return [
    '## Backlog release',
    '',
    table(
      [
        'Database',
        'letters',
        'patients / practices',
        'ingest (`$submit-document`, hold-for-release)',
        'release (`backlog release` CLI)',
        'seconds (ingest + release)',
        'delivered / lost / duplicated / left waiting (from the database)',
        'letters/s ÷ raw-insert rows/s',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'A letter is one document Bundle of about 5 KB (PRSB headings, coded diagnosis and allergy, a medication change in 2 of 5, ' +
      'an action for the GP in 1 of 2): ingesting it assures it, matches the patient by NHS number and demographics, stores the ' +
      'Bundle and a DocumentReference, routes it to the registered practice and writes its ledger row, held. The release plans ' +
      'the whole backlog (per patient, oldest first, de-duplicated by content), then delivers it in committed batches. ' +
      'Every figure after the seconds is counted from the database when it has finished.',
    '',
  ].join('\n');
}

function inboxSection(results) {
  const entries = Object.entries(results.databases).filter(([, phase]) => phase.inbox);
  if (entries.length === 0) return '';
  const rows = entries.map(([database, { inbox }]) => [
    DATABASE_TITLES[database],
    thousands(inbox.letters),
    `${fixed(inbox.fillSeconds, 1)} s`,
    `${fixed(inbox.api.medianMs, 1)} ms / ${fixed(inbox.api.p95Ms, 1)} ms (${inbox.api.samples})`,
    inbox.browser
      ? `**${fixed(inbox.browser.medianMs, 0)} ms** (${inbox.browser.loads} loads; its \`$inbox\` answered at ${fixed(inbox.browser.inboxAnsweredMs, 0)} ms)`
      : 'skipped: no Chromium',
  ]);
  return [
    '## GP inbox at scale',
    '',
    table(
      [
        'Database',
        'letters in the inbox',
        'filling it (`$submit-document`)',
        '`$inbox` first page median / p95 (requests)',
        'browser: navigation → first row visible, median',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r'],
    ),
    '',
    "One practice (the demo GP's) holds every letter. The browser figure is Chromium signed in as the demo GP, from " +
      'navigation to the inbox until its first row is on screen: the app, its sign-in token, the `$inbox` page with ' +
      'its capped total, and the patient and sender names.',
    '',
  ].join('\n');
}

function startupAndMemory(results) {
  const lines = [];
  const startRows = Object.entries(results.databases)
    .filter(([, phase]) => phase.startup || Number.isFinite(phase.firstStartMs))
    .map(([database, phase]) => [
      DATABASE_TITLES[database],
      phase.startup ? `**${seconds(phase.startup.median)}**` : 'n/a',
      phase.startup ? phase.startup.samples.map((ms) => Math.round(ms)).join(' / ') : 'n/a',
      seconds(phase.firstStartMs),
    ]);
  if (startRows.length > 0) {
    lines.push(
      '## Start to ready',
      '',
      table(
        [
          'Database',
          'median, populated database',
          'each start (ms)',
          'first start, empty database (creates the schema)',
        ],
        startRows,
        ['l', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  const memoryRows = Object.entries(results.databases)
    .filter(([, phase]) => phase.memoryAfterFirstStart)
    .map(([database, phase]) => [
      DATABASE_TITLES[database],
      megabytes(phase.memoryAfterFirstStart?.rss),
      megabytes(phase.memoryAfterPreload?.rss),
      phase.soak ? `**${megabytes(phase.soak.memory.rss)}**` : 'n/a',
      phase.soak ? megabytes(phase.soak.memory.hwm) : 'n/a',
      megabytes(phase.memoryAfterStart?.rss),
    ]);
  if (memoryRows.length > 0) {
    const soakSeconds = Math.round(
      Object.values(results.databases).find((phase) => phase.soak)?.soak.seconds ?? 0,
    );
    lines.push(
      '## Resident memory of the server process',
      '',
      table(
        [
          'Database',
          'VmRSS after first start (empty)',
          'after preload',
          `after all workloads + ${soakSeconds} s mixed load`,
          'VmHWM (peak over its life)',
          'VmRSS after a fresh start on the populated database',
        ],
        memoryRows,
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  return lines.join('\n');
}

function method(results) {
  const s = results.settings;
  const loadgen =
    results.loadgen === 'inline'
      ? 'in the orchestrating bench process itself (`--loadgen=inline`)'
      : 'in a separate Node.js process, forked afresh for each run';
  return [
    '## Method',
    '',
    `- **Connections:** ${s.connections} everywhere: ${s.connections} autocannon connections to the server, ${s.connections} \`pg\` clients for the raw ceilings. The server keeps its default pool (\`DATABASE_POOL_SIZE\` 20).`,
    `- **Runs:** each workload gets a ${s.warmupMs / 1000} s warm-up (discarded), then ${s.runs} run${s.runs === 1 ? '' : 's'} of ${s.durationMs / 1000} s. Runs are interleaved: each round runs every workload once, so slow drift on the shared machine falls on all of them alike. Throughput, p50, p99 and CPU per request are the medians over the runs; "req/s per run" shows the spread.`,
    `- **Closed loop:** each connection sends its next request when the previous answer arrives, so latency includes queueing behind the other ${s.connections - 1} connections. Latencies are recorded per response by the load generator (sub-millisecond precision). Any non-2xx answer or connection error stops the bench with an error.`,
    `- **Load generator:** autocannon ${results.machine.autocannon}, ${loadgen}, on the same ${results.machine.nproc} cores as the server and PostgreSQL (its own CPU is shown per request). A separate process is the default: in trials while building the harness (\`--loadgen=inline\` against the same server), autocannon inside the bench process was neither consistently faster nor slower than in a child — the difference stayed within run-to-run noise — and a child keeps the orchestrator's own work off the load's event loop and lets the generator's CPU be measured on its own.`,
    '- **Raw ceilings** (`raw-insert`, `raw-select`) measure what a Node.js client gets from PostgreSQL through `pg` over the same number of connections, with no HTTP, JSON parsing, validation, search indexing or history: one parameterised statement per round trip, as a named prepared statement like the server’s own (parsed and planned once per connection), in autocommit (so an insert is one transaction with its own WAL flush). They run on their own scratch database, migrated by the server itself. They are ceilings to compare against, not targets: a FHIR create also writes a history row and every search-index row in the same statement.',
    '- **Ratios** are the server’s median req/s divided by the raw ceiling’s median req/s, both measured in this run.',
    '- **CPU:** *server CPU ms/req* is the server process’s utime + stime (from `/proc/<pid>/stat`) over the measured window ÷ requests; *server cores busy* is the same CPU time ÷ wall time (1.00 = one whole core). *PostgreSQL CPU* adds up every `postgres` process on the machine (backends, WAL writer, checkpointer: the whole cluster, including any other session’s queries that ran at the same time); with PGlite the database runs inside the server process.',
    `- **Databases:** PostgreSQL scratch databases \`carebridge_bench_<pid>_server\` and \`…_raw\` are created empty at the start and dropped at the end; PGlite gets a new \`DATA_DIR\` in a temp dir, removed at the end. The server runs as \`node packages/server/dist/main.js\` with \`SEED=none\`, \`LOG_LEVEL=warn\`, \`HOST=127.0.0.1\` and a fixed \`CURSOR_SECRET\`.`,
    '- **Authentication:** the server is given one system client through `SYSTEM_CLIENTS` (client credentials, `system/*.cruds`, acting for a bench GP practice, `Organization/carebridge-bench-gp`); the bench gets an access token from the server’s own `/auth/token` and every FHIR request carries it, so the figures include token verification, access control and auditing as a real client meets them. Every bench patient is registered with that practice (`generalPractitioner`), which is what lets the client see it. Per-client rate limits are lifted for system clients (`RATE_LIMIT_SYSTEM_PER_MINUTE=0`): the load generator is one client far past any real one.',
    `- **Data:** before the runs, ${thousands(s.preload)} patients are created through the server in transaction Bundles of 1,000; reads and searches pick uniformly at random among them. On PostgreSQL the bench then runs \`ANALYZE\` once on the server’s database, as autovacuum would soon after a bulk load in production (the raw database is analysed after its rows are written too); PGlite has no autovacuum and the bench cannot reach into the server’s PGlite, so it runs with whatever statistics the server itself keeps. Creates keep adding patients with new valid 999-range NHS numbers, so later runs see larger tables.`,
    `- **Start to ready:** from spawning the server on its populated database to the first 200 from \`/healthz\` (polled every 10 ms); the server is stopped with SIGTERM between starts; median of ${s.starts}.`,
    `- **Memory:** VmRSS and VmHWM from \`/proc/<pid>/status\` (MB = 10⁶ bytes), read right after ${s.soakMs / 1000} s of mixed load${results.quick ? ' (shortened from 60 s: `--quick`)' : ''}, which follows every other workload on the same process. VmHWM is the peak over the process’s life, preload Bundles included.`,
    `- **Noise:** ${results.machine.nproc} shared cores run the load generator, the server and PostgreSQL at once, and other sessions may use the machine too (the load average before the run, in the Machine table, shows whether anything else was running). Only medians and ratios from the same run mean much; absolute figures move between runs.`,
    '',
  ].join('\n');
}

/** Reports written by other commands, linked from the full report. */
const RELATED_REPORTS = [
  'How read and identifier-search latency grow from 10,000 to 1,000,000 stored resources: [`SCALE.md`](SCALE.md) (`npm run bench:scale`).',
  '',
  'A GP inbox of 10,000 letters, its first page through the API and in Chromium: [`benchmarks/inbox.md`](benchmarks/inbox.md) (`npm run bench -- --write inbox`).',
  '',
];

export function renderReport(results) {
  const m = results.machine;
  const lines = [
    results.focused ? `# Benchmarks: ${results.selected.join(', ')}` : '# Benchmarks',
    '',
    results.focused
      ? `<!-- Written by \`${results.command}\` (bench/run.mjs): do not edit by hand. -->`
      : '<!-- Written by `npm run bench` (bench/run.mjs), rewritten by every full run: do not edit by hand. -->',
    '',
    ...(results.focused ? [] : RELATED_REPORTS),
    `Run on ${results.startedAt.slice(0, 10)} (${results.startedAt.slice(11, 16)}–${(results.finishedAt ?? '').slice(11, 16)} UTC).` +
      (results.quick ? ' **Quick smoke run** (`--quick`): one short run each; not for comparison.' : '') +
      (results.profile
        ? ' **Profiled** (`--profile`): the server ran under `--cpu-prof`, so figures are lower.'
        : ''),
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU (`lscpu` model name)', m.cpu],
        ['Cores (`nproc`)', m.nproc],
        ['Memory (`free -g` total)', `${m.memoryGiB} GiB`],
        ['Node.js', m.node],
        ['PostgreSQL', m.postgres ?? 'not used'],
        ['PostgreSQL settings', m.postgresSettings ?? 'n/a'],
        ['PGlite', m.pglite],
        ['autocannon', m.autocannon],
        ['Load average (1 / 5 / 15 min) before → after', `${m.loadBefore} → ${m.loadAfter ?? 'n/a'}`],
      ],
      ['l', 'l'],
    ),
    '',
    '## Command',
    '',
    '```sh',
    results.command,
    '```',
    '',
  ];
  const goals = goalRows(results);
  if (goals.length > 0) {
    lines.push(
      '## Goals',
      '',
      table(['Check', 'Measured', 'Goal', 'Result'], goals, ['l', 'r', 'r', 'l']),
      '',
    );
  }
  for (const [database, phase] of Object.entries(results.databases)) {
    // A focused run (the inbox alone) has no throughput workloads: no empty section for it.
    if (Object.keys(phase.workloads).length > 0) lines.push(databaseSection(results, database, phase));
  }
  lines.push(backlogSection(results));
  lines.push(inboxSection(results));
  lines.push(startupAndMemory(results));
  lines.push(method(results));
  lines.push('## Workloads', '');
  for (const workload of workloads.filter((w) => results.selected.includes(w.name))) {
    lines.push(`- \`${workload.name}\`: ${workload.description}.`);
  }
  lines.push('');
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
