#!/usr/bin/env node
// `npm run bench`: the Carebridge benchmark harness. See bench/README.md and docs/BENCHMARKS.md.
//
//   npm run bench                      every workload on PostgreSQL and PGlite; rewrites docs/BENCHMARKS.md
//   npm run bench -- --quick           short smoke run (1 run of 3 s each, 10 s soak); prints only
//   npm run bench -- create read       only these workloads (and their raw baselines); prints only
//   npm run bench -- --db=pglite       only this database (postgres, pglite)
//   npm run bench -- --profile create  CPU-profile the server (node --cpu-prof) per workload; prints
//                                      the top self-time functions; prints only
//   --runs=N --duration=S --soak=S --starts=N --preload=N   override the settings; prints only
//   --loadgen=inline                   autocannon in this process instead of a child process
//   npm run bench -- backlog --letters 32619   the backlog release of a real incident's size (issue 4);
//                                      its last line is letters=… delivered=… lost=… duplicated=… seconds=…
//   npm run bench -- inbox             a GP inbox of 10,000 letters: first page through $inbox and in
//                                      Chromium (issue 5: under a second); prints `inbox <db>: …` lines
//   npm run bench -- --write inbox     the same, and writes its report to docs/benchmarks/inbox.md
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { summariseProfile } from './lib/cpu-profile.mjs';
import { fixtures } from './lib/fixtures.mjs';
import { BENCH_ORGANIZATION, FHIR_HEADERS, NhsNumbers } from './lib/fhir.mjs';
import { runLoad } from './lib/loadgen.mjs';
import {
  ADMIN_URL,
  analyzeDatabase,
  createScratchDatabase,
  dropScratchDatabases,
  postgresSettings,
  postgresVersion,
} from './lib/postgres.mjs';
import {
  commandOutput,
  cpuSeconds,
  freePort,
  killAll,
  memoryOf,
  postgresCpu,
  postgresCpuDelta,
  startServer,
  stopChild,
} from './lib/processes.mjs';
import { renderReport } from './lib/report.mjs';
import { median } from './lib/stats.mjs';
import { workloads } from './workloads/index.mjs';
import { BACKLOG_CLIENTS, summaryLine } from './workloads/backlog.mjs';
import { INBOX_CLIENTS, inboxLine } from './workloads/inbox.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const DOCS = join(root, 'docs', 'BENCHMARKS.md');
const CONNECTIONS = 16;
/** The server to measure; BENCH_SERVER points elsewhere (another build, or a stub to test the harness). */
const SERVER_ENTRY = process.env.BENCH_SERVER ?? 'packages/server/dist/main.js';
/** Server builds a workload may ask for (`server:`); all run the same compiled code. */
const SERVER_VARIANTS = { standard: SERVER_ENTRY, 'audit-off': 'bench/servers/audit-off.mjs' };
const DATABASES = ['postgres', 'pglite'];

const FULL = { runs: 3, durationMs: 10_000, warmupMs: 3_000, soakMs: 60_000, starts: 5, preload: 10_000 };
const QUICK = { runs: 1, durationMs: 3_000, warmupMs: 1_000, soakMs: 10_000, starts: 3, preload: 2_000 };

const USAGE = `usage: npm run bench -- [--quick] [--write] [--db=postgres,pglite] [--profile] [--loadgen=process|inline]
       [--runs=N] [--duration=S] [--soak=S] [--starts=N] [--preload=N] [--letters=N] [workload ...]
workloads: ${workloads.map((w) => w.name).join(', ')}`;

function parseArgs(argv) {
  const options = {
    quick: false,
    write: false,
    profile: false,
    inline: false,
    databases: DATABASES,
    names: [],
    overrides: {},
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    let [flag, value] = arg.split('=', 2);
    // `--letters 32619` as well as `--letters=32619` (the form issue 4 gives).
    if (flag === '--letters' && value === undefined) value = argv[++index];
    const number = () => {
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed <= 0)
        throw new Error(`${flag} needs a positive number\n${USAGE}`);
      return parsed;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--write') options.write = true;
    else if (arg === '--profile') options.profile = true;
    else if (flag === '--loadgen' && (value === 'inline' || value === 'process'))
      options.inline = value === 'inline';
    else if (flag === '--db') {
      options.databases = value.split(',');
      const unknown = options.databases.filter((db) => !DATABASES.includes(db));
      if (unknown.length > 0 || options.databases.length === 0)
        throw new Error(`Unknown database ${unknown}\n${USAGE}`);
    } else if (flag === '--runs') options.overrides.runs = Math.round(number());
    else if (flag === '--duration') options.overrides.durationMs = number() * 1000;
    else if (flag === '--soak') options.overrides.soakMs = number() * 1000;
    else if (flag === '--starts') options.overrides.starts = Math.round(number());
    else if (flag === '--preload') options.overrides.preload = Math.round(number());
    else if (flag === '--letters') options.overrides.letters = Math.round(number());
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new Error(`Unknown option ${arg}\n${USAGE}`);
    else options.names.push(arg);
  }
  return options;
}

/** The selected workloads in registry order, with the raw baselines of selected HTTP workloads. */
function selectWorkloads(names) {
  for (const name of names) {
    if (!workloads.some((w) => w.name === name)) throw new Error(`Unknown workload '${name}'\n${USAGE}`);
  }
  if (names.length === 0) return workloads;
  const wanted = new Set(names);
  for (const workload of workloads) {
    if (!wanted.has(workload.name)) continue;
    const partners = [workload.baseline, ...(workload.goals ?? []).map((goal) => goal.against)];
    for (const partner of partners.filter((name) => name && !wanted.has(name))) {
      console.log(`(adding ${partner}: ${workload.name} is measured against it)`);
      wanted.add(partner);
    }
  }
  return workloads.filter((w) => wanted.has(w.name));
}

const BENCH_CLIENT_ID = 'carebridge-bench';
const BENCH_SCOPES = 'system/*.cruds';

/** A client-credentials access token for the bench's system client, from the server's own provider. */
async function accessToken(baseUrl, secret, clientId = BENCH_CLIENT_ID) {
  const response = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: BENCH_SCOPES }).toString(),
  });
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(
      `Could not get an access token from ${baseUrl}/auth/token: ${response.status}: ${body.slice(0, 500)}`,
    );
  }
  return JSON.parse(body).access_token;
}

function machineFacts() {
  const lscpu = commandOutput('lscpu', []) ?? '';
  const free = commandOutput('free', ['-g']) ?? '';
  let pglite = 'unknown';
  for (const dir of ['packages/server/node_modules', 'node_modules']) {
    const file = join(root, dir, '@electric-sql/pglite/package.json');
    if (existsSync(file)) {
      pglite = JSON.parse(readFileSync(file, 'utf8')).version;
      break;
    }
  }
  const autocannonVersion = JSON.parse(
    readFileSync(join(root, 'node_modules/autocannon/package.json'), 'utf8'),
  ).version;
  return {
    cpu: /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim() ?? 'unknown',
    nproc: commandOutput('nproc', []) ?? 'unknown',
    memoryGiB: /^Mem:\s+(\d+)/m.exec(free)?.[1] ?? 'unknown',
    node: process.version,
    pglite,
    autocannon: autocannonVersion,
  };
}

/** The 1-, 5- and 15-minute load averages: how busy the shared machine was (2 = both cores). */
function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
  } catch {
    return 'unknown';
  }
}

function commandLine(argv) {
  if (process.env.npm_lifecycle_event === 'bench')
    return `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  return `node bench/run.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`;
}

const tempDirs = [];
function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `carebridge-bench-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

let cleaning;
/** Ends every child, drops the scratch databases, removes the temp dirs; safe to call twice. */
function cleanup() {
  cleaning ??= (async () => {
    await killAll();
    await dropScratchDatabases();
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** One database's phase: fresh database, server, fixtures, checks, warm-ups, rounds, soak, starts. */
async function runDatabase(database, selected, settings, options, results) {
  const log = (message) => console.log(`[${database}] ${message}`);
  const phase = { workloads: {}, notes: [] };
  results.databases[database] = phase;
  let seed = 1;
  const ctx = {
    database,
    settings,
    results: phase,
    nhs: new NhsNumbers(),
    fixtures: {},
    baseUrl: undefined,
    rawDatabaseUrl: undefined,
    nextSeed: () => seed++,
  };
  const loadWorkloads = selected.filter((w) =>
    w.kind === 'pg' ? database === 'postgres' : w.kind === 'http',
  );
  const needsServer = selected.some((w) => w.kind !== 'pg');
  ctx.backlogLetters = selected.find((w) => w.kind === 'backlog')?.lettersFor(settings);
  ctx.inboxLetters = selected.find((w) => w.kind === 'inbox')?.lettersFor(settings);
  const tag = `carebridge_bench_${process.pid}`;
  const clientSecret = randomBytes(24).toString('hex');
  const env = {
    // The inbox workload signs in as the demo GP, so its databases get the demo directory and accounts.
    SEED: ctx.inboxLetters === undefined ? 'none' : 'demo',
    CURSOR_SECRET: 'carebridge-bench-cursor-secret',
    // The bench talks to the FHIR API as a system client (client credentials), acting for its own
    // GP practice, so every request carries a real access token through the server's checks.
    SYSTEM_CLIENTS: JSON.stringify([
      {
        clientId: BENCH_CLIENT_ID,
        secret: clientSecret,
        allowedScopes: BENCH_SCOPES,
        organizationId: BENCH_ORGANIZATION.id,
        odsCode: BENCH_ORGANIZATION.odsCode,
        name: 'Carebridge bench',
      },
      // The backlog workload's trust (it sends the letters) and practices (they register patients).
      ...[...BACKLOG_CLIENTS, ...INBOX_CLIENTS].map((client) => ({
        ...client,
        secret: clientSecret,
        allowedScopes: BENCH_SCOPES,
      })),
    ]),
    IDENTITY_ACCESS_TOKEN_TTL: '3600',
    // Load generators are one client far past any real one: per-client rate limits would measure
    // the limiter, not the server (docs/identity.md § Rate limits).
    RATE_LIMIT_SYSTEM_PER_MINUTE: '0',
  };

  if (database === 'postgres') {
    env.DATABASE_URL = await createScratchDatabase(`${tag}_server`);
    if (loadWorkloads.some((w) => w.kind === 'pg')) {
      // The raw ceilings run on their own scratch database, migrated by the server itself.
      ctx.rawDatabaseUrl = await createScratchDatabase(`${tag}_raw`);
      const migrator = await startServer({
        root,
        entry: SERVER_ENTRY,
        port: await freePort(),
        env: { ...env, DATABASE_URL: ctx.rawDatabaseUrl },
      });
      await stopChild(migrator.child);
      log(`raw scratch database migrated by the server (${migrator.readyMs.toFixed(0)} ms to ready)`);
    }
  } else {
    env.DATA_DIR = join(tempDir('pglite'), 'data');
  }

  const port = await freePort();
  // The inbox workload signs in through the server's own identity provider in Chromium, which must be
  // sent back to the address the server listens on (its default public address is localhost).
  if (ctx.inboxLetters !== undefined) env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
  const profileDir = options.profile ? join(root, '.bench-tmp', 'profiles', results.stamp) : undefined;
  let server;
  let variant = 'standard';
  const start = async (profileName, withToken = true) => {
    const nodeOptions = profileName
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-name=${database}-${profileName}.cpuprofile`,
        ]
      : [];
    server = await startServer({ root, entry: SERVER_VARIANTS[variant], port, env, nodeOptions });
    ctx.baseUrl = server.baseUrl;
    if (withToken) {
      const token = await accessToken(server.baseUrl, clientSecret);
      ctx.headers = { ...FHIR_HEADERS, authorization: `Bearer ${token}` };
    }
    return server;
  };
  const stop = async () => {
    if (server) await stopChild(server.child);
    server = undefined;
  };

  if (needsServer) {
    await start();
    phase.firstStartMs = server.readyMs;
    phase.memoryAfterFirstStart = memoryOf(server.pid);
    log(`server ready on an empty database in ${server.readyMs.toFixed(0)} ms (includes migrating it)`);
  }

  const wanted = new Set(
    selected.flatMap((w) => (w.kind === 'pg' && database !== 'postgres' ? [] : (w.needs ?? []))),
  );
  const needed = Object.keys(fixtures).filter((name) => wanted.has(name));
  for (const name of needed) {
    if (name === 'raw-rows' && !ctx.rawDatabaseUrl) continue;
    log(`preparing fixture ${name}…`);
    ctx.fixtures[name] = await fixtures[name].prepare(ctx);
  }
  if (database === 'postgres' && needed.length > 0) {
    // Plans are only as good as the statistics. Production PostgreSQL has autovacuum to refresh them
    // after a bulk load; this cluster may not (see the Machine table), so the bench does it once.
    await analyzeDatabase(env.DATABASE_URL);
    log('ANALYZE after the preload');
  }
  if (phase.preload) {
    log(`preloaded ${phase.preload.count} patients in ${phase.preload.seconds.toFixed(1)} s`);
    phase.memoryAfterPreload = memoryOf(server.pid);
  }

  const measure = async (workload, durationMs, label) => {
    const target =
      workload.kind === 'pg'
        ? { databaseUrl: ctx.rawDatabaseUrl }
        : { baseUrl: server.baseUrl, headers: { authorization: ctx.headers.authorization } };
    const job = {
      workload: workload.name,
      connections: CONNECTIONS,
      durationMs,
      target,
      data: workload.data?.(ctx),
    };
    const snapshot = () => ({
      server: server ? cpuSeconds(server.pid) : Number.NaN,
      postgres: database === 'postgres' ? postgresCpu() : undefined,
    });
    let before;
    let after;
    const result = await runLoad(
      job,
      {
        ready: async () => {
          before = snapshot();
        },
        done: async () => {
          after = snapshot();
        },
      },
      { inline: options.inline },
    );
    workload.after?.(ctx, result);
    const failed = result.non2xx > 0 || result.errors > 0;
    const run = {
      throughput: result.throughput,
      p50: result.p50,
      p99: result.p99,
      requests: result.requests,
      seconds: result.elapsedMs / 1000,
      non2xx: result.non2xx,
      errors: result.errors,
      serverCpuMsPerRequest:
        workload.kind === 'pg' ? Number.NaN : ((after.server - before.server) * 1000) / result.requests,
      serverCores:
        workload.kind === 'pg' ? Number.NaN : (after.server - before.server) / (result.elapsedMs / 1000),
      postgresCpuMsPerRequest: before.postgres
        ? (postgresCpuDelta(before.postgres, after.postgres) * 1000) / result.requests
        : Number.NaN,
      loadgenCpuMsPerRequest: (result.loadgenCpuSeconds * 1000) / result.requests,
    };
    log(
      `${label}: ${fmt(run.throughput, 0)} req/s, p50 ${fmt(run.p50, 2)} ms, p99 ${fmt(run.p99, 2)} ms, ` +
        `non-2xx ${run.non2xx}, errors ${run.errors}, server CPU ${fmt(run.serverCpuMsPerRequest, 3)} ms/req, ` +
        `PostgreSQL CPU ${fmt(run.postgresCpuMsPerRequest, 3)} ms/req`,
    );
    if (failed) {
      throw new Error(
        `${database} ${workload.name} (${label}): ${result.non2xx} non-2xx responses and ${result.errors} errors — ` +
          `status codes ${JSON.stringify(result.statusCodes ?? {})}; first failure: ${result.firstFailure ?? 'n/a'}`,
      );
    }
    return run;
  };

  // Switching builds restarts the server (PGlite allows one process per data directory), then warms
  // up every workload of the batch that runs on the new build, so no build is measured cold.
  const useVariant = async (wanted, batch) => {
    if (variant === wanted) return;
    await stop();
    variant = wanted;
    await start();
    log(`server restarted as the '${wanted}' build`);
    // Only HTTP workloads talk to the restarted server; the raw 'pg' ceilings need no new warm-up.
    for (const workload of batch.filter((w) => w.kind === 'http' && (w.server ?? 'standard') === wanted)) {
      await measure(workload, settings.warmupMs, `${workload.name} warm-up`);
    }
  };

  for (const workload of loadWorkloads) {
    if (workload.check) {
      await workload.check(ctx);
      log(`${workload.name}: check passed`);
    }
  }

  // Normally every round runs each workload once (interleaved), so slow drift on the shared machine
  // spreads over all workloads alike. With --profile, each HTTP workload gets its own server process
  // (and so its own profile): all its runs back to back.
  const batches = options.profile
    ? loadWorkloads.map((workload) => [workload])
    : loadWorkloads.length > 0
      ? [loadWorkloads]
      : [];
  for (const batch of batches) {
    const profiled = options.profile && batch[0].kind === 'http' ? batch[0].name : undefined;
    if (profiled) {
      await stop();
      variant = batch[0].server ?? 'standard';
      await start(profiled);
    }
    for (const workload of batch) {
      phase.workloads[workload.name] = { runs: [] };
      await useVariant(workload.server ?? 'standard', []);
      await measure(workload, settings.warmupMs, `${workload.name} warm-up`);
    }
    for (let round = 1; round <= settings.runs; round++) {
      for (const workload of batch) {
        await useVariant(workload.server ?? 'standard', batch);
        phase.workloads[workload.name].runs.push(
          await measure(workload, settings.durationMs, `${workload.name} run ${round}/${settings.runs}`),
        );
      }
    }
    if (profiled) {
      await stop();
      variant = 'standard';
      await start();
    }
  }
  await useVariant('standard', []);
  for (const entry of Object.values(phase.workloads)) entry.median = medians(entry.runs);

  const soak = selected.find((w) => w.kind === 'soak');
  if (soak) {
    log(`mixed load for ${settings.soakMs / 1000} s…`);
    const run = await measure(soak, settings.soakMs, 'mixed load');
    phase.soak = { ...run, seconds: run.seconds, memory: memoryOf(server.pid), goalBytes: soak.goalBytes };
    log(
      `after mixed load: VmRSS ${fmt(phase.soak.memory.rss / 1e6)} MB, VmHWM ${fmt(phase.soak.memory.hwm / 1e6)} MB`,
    );
  }

  const backlog = selected.find((w) => w.kind === 'backlog');
  if (backlog) {
    log(`backlog: ${ctx.backlogLetters} letters…`);
    phase.backlog = await backlog.run(ctx, {
      log,
      token: (clientId) => accessToken(server.baseUrl, clientSecret, clientId),
      stopServer: stop,
      cliEnv: database === 'postgres' ? { DATABASE_URL: env.DATABASE_URL } : { DATA_DIR: env.DATA_DIR },
    });
    log(`backlog: ${summaryLine(phase.backlog)}`);
  }

  const inbox = selected.find((w) => w.kind === 'inbox');
  if (inbox) {
    log(`inbox: ${ctx.inboxLetters} letters…`);
    phase.inbox = await inbox.run(ctx, {
      log,
      token: (clientId) => accessToken(server.baseUrl, clientSecret, clientId),
    });
    log(inboxLine(database, phase.inbox));
  }

  const startup = selected.find((w) => w.kind === 'startup');
  if (startup) {
    await stop();
    const samples = [];
    for (let i = 1; i <= settings.starts; i++) {
      await start(undefined, false);
      samples.push(server.readyMs);
      log(`start ${i}/${settings.starts}: ready in ${server.readyMs.toFixed(0)} ms`);
      if (i === settings.starts) phase.memoryAfterStart = memoryOf(server.pid);
      await stop();
    }
    phase.startup = { samples, median: median(samples), goalMs: startup.goalMs };
  }
  await stop();
}

function medians(runs) {
  const pick = (key) => median(runs.map((run) => run[key]));
  return {
    throughput: pick('throughput'),
    p50: pick('p50'),
    p99: pick('p99'),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    serverCpuMsPerRequest: pick('serverCpuMsPerRequest'),
    serverCores: pick('serverCores'),
    postgresCpuMsPerRequest: pick('postgresCpuMsPerRequest'),
    loadgenCpuMsPerRequest: pick('loadgenCpuMsPerRequest'),
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  const settings = {
    ...(options.quick ? QUICK : FULL),
    ...options.overrides,
    connections: CONNECTIONS,
    quick: options.quick,
  };
  const selected = selectWorkloads(options.names);
  // A full run rewrites docs/BENCHMARKS.md; a focused run (`--write inbox`) writes its own report
  // beside it (docs/benchmarks/inbox.md), so its figures keep their machine and command.
  const focusedReport =
    options.write && options.names.length > 0
      ? join(root, 'docs', 'benchmarks', `${options.names.join('-')}.md`)
      : undefined;
  const writesDocs = argv.length === 0;
  if (!existsSync(resolve(root, SERVER_ENTRY))) {
    throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` (npm run bench does)`);
  }

  const startedAt = new Date();
  const results = {
    command: commandLine(argv),
    startedAt: startedAt.toISOString(),
    stamp: startedAt.toISOString().replace(/[:.]/g, '-'),
    quick: options.quick,
    focused: focusedReport !== undefined,
    settings,
    loadgen: options.inline ? 'inline' : 'process',
    profile: options.profile,
    selected: selected.map((w) => w.name),
    machine: { ...machineFacts(), loadBefore: loadAverage() },
    databases: {},
  };
  const [busy] = results.machine.loadBefore.split(' / ').map(Number);
  if (busy >= 0.5) {
    console.log(
      `NOTE: load average ${results.machine.loadBefore} before the bench: something else is using the machine; ` +
        'expect lower and noisier figures (ratios within this run still compare like with like).',
    );
  }
  if (options.databases.includes('postgres')) {
    results.machine.postgres = await postgresVersion();
    if (results.machine.postgres) results.machine.postgresSettings = await postgresSettings();
    if (!results.machine.postgres) {
      throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (set BENCH_DATABASE_URL, or --db=pglite)`);
    }
  }
  console.log(
    `Carebridge bench: ${selected.map((w) => w.name).join(', ')} on ${options.databases.join(', ')}; ` +
      `${settings.runs} × ${settings.durationMs / 1000} s runs after a ${settings.warmupMs / 1000} s warm-up, ` +
      `${CONNECTIONS} connections, load generator ${results.loadgen === 'inline' ? 'in this process' : 'in a child process'}`,
  );

  for (const database of options.databases) await runDatabase(database, selected, settings, options, results);
  results.finishedAt = new Date().toISOString();
  results.machine.loadAfter = loadAverage();

  const report = renderReport(results);
  console.log(`\n${report}`);
  if (options.profile) {
    const dir = join(root, '.bench-tmp', 'profiles', results.stamp);
    for (const database of options.databases) {
      for (const workload of selected.filter((w) => w.kind === 'http')) {
        const file = join(dir, `${database}-${workload.name}.cpuprofile`);
        if (existsSync(file)) console.log(`\n${summariseProfile(file, `${database} ${workload.name}`)}`);
      }
    }
    console.log(`\nProfiles kept in ${dir} (open in Chrome DevTools or speedscope).`);
  }
  if (writesDocs || focusedReport) {
    const target = focusedReport ?? DOCS;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, report);
    console.log(`Wrote ${target}`);
  } else {
    console.log(
      '(docs/BENCHMARKS.md not rewritten: only a plain `npm run bench` with no arguments writes it)',
    );
  }
  printBacklogLines(results);
  for (const [database, phase] of Object.entries(results.databases))
    if (phase.inbox) console.log(inboxLine(database, phase.inbox));
}

/**
 * The backlog figures close the output: one line per database, then (last) the line issue 4 asks for,
 * exactly, for PostgreSQL (the goal's database) or the only database run.
 */
function printBacklogLines(results) {
  const phases = Object.entries(results.databases).filter(([, phase]) => phase.backlog);
  if (phases.length === 0) return;
  for (const [database, phase] of phases) console.log(`${database}: ${summaryLine(phase.backlog)}`);
  const [, last] = phases.find(([database]) => database === 'postgres') ?? phases[0];
  console.log(summaryLine(last.backlog));
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping children, dropping scratch databases, removing temp dirs…`);
    cleanup().finally(() => process.exit(130));
  });
}

main().then(
  () => cleanup().then(() => process.exit(0)),
  (error) => {
    if (interrupted) return; // the signal handler is cleaning up and exits 130
    console.error(`\nBENCH FAILED: ${error.stack ?? error}`);
    cleanup().finally(() => process.exit(1));
  },
);
