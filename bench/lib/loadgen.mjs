// The load generator. A job names a workload; the workload's `load(data)` (run here, in the load
// generator, not in the orchestrator) returns either autocannon `requests` (HTTP against the server)
// or an `operation(client)` (straight through `pg`). Both are closed loops over a fixed number of
// connections for a fixed time; latencies are recorded per response with sub-millisecond precision.
//
// By default every job runs in a fresh child process (`fork` of this file), so the orchestrator's
// own work never shares an event loop with the load, and the load generator's CPU is measurable.
// The orchestrator takes its /proc snapshots when the child says the load starts and ends
// ("ready" / "done"), before the child closes its connections.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { track } from './processes.mjs';
import { percentile, Samples } from './stats.mjs';

/**
 * Runs a job; `hooks.ready()` is awaited just before the load starts, `hooks.done(result)` right
 * after it ends (connections still open). `inline` runs it in this process instead of a child.
 */
export function runLoad(job, hooks, { inline = false } = {}) {
  if (inline) return runJob(job, hooks);
  return new Promise((resolve, reject) => {
    const child = track(fork(fileURLToPath(import.meta.url), ['--loadgen-worker'], { stdio: 'inherit' }));
    let settled = false;
    let result;
    const fail = (error) => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(error);
    };
    child.on('message', async (message) => {
      try {
        if (message.type === 'ready') {
          await hooks.ready();
          child.send({ type: 'go' });
        } else if (message.type === 'done') {
          result = message.result;
          await hooks.done(result);
          child.send({ type: 'close' });
        } else if (message.type === 'error') {
          fail(Object.assign(new Error(message.message), { stack: message.stack }));
        }
      } catch (error) {
        fail(error);
      }
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      if (result !== undefined && code === 0) {
        settled = true;
        resolve(result);
      } else
        fail(new Error(`The load generator exited (${code ?? signal}) before finishing ${job.workload}`));
    });
    child.send({ type: 'job', job });
  });
}

async function runJob(job, hooks) {
  const { workloadByName } = await import('../workloads/index.mjs');
  const plan = await workloadByName(job.workload).load(job.data ?? {});
  const run = plan.requests ? runHttp : runPostgres;
  return run(job, plan, hooks);
}

async function runHttp(job, plan, hooks) {
  const latencies = new Samples();
  let firstFailure;
  const requests = plan.requests.map((request) => ({
    ...request,
    // Headers every request needs (the bearer token), from the orchestrator.
    headers: { ...request.headers, ...job.target.headers },
    onResponse(status, body) {
      if ((status < 200 || status > 299) && firstFailure === undefined) {
        firstFailure = `${request.method ?? 'GET'} → ${status}: ${String(body).slice(0, 800)}`;
      }
    },
  }));
  await hooks.ready();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const instance = autocannon({
    url: job.target.baseUrl,
    connections: job.connections,
    duration: job.durationMs / 1000,
    requests,
    timeout: 30,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const summary = await instance;
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const statusCodes = Object.fromEntries(
    Object.entries(summary.statusCodeStats).map(([code, stats]) => [code, stats.count]),
  );
  const result = {
    ...describe(latencies, elapsedMs),
    non2xx: summary.non2xx,
    errors: summary.errors + summary.timeouts,
    statusCodes,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
    extra: plan.extra?.() ?? {},
  };
  await hooks.done(result);
  return result;
}

async function runPostgres(job, plan, hooks) {
  const clients = [];
  try {
    for (let i = 0; i < job.connections; i++) {
      const client = new pg.Client({
        connectionString: job.target.databaseUrl,
        application_name: 'carebridge-bench',
      });
      await client.connect();
      clients.push(client);
    }
    const latencies = new Samples();
    let errors = 0;
    let firstFailure;
    await hooks.ready();
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const deadline = startedAt + job.durationMs;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          try {
            await plan.operation(client);
            latencies.push(performance.now() - sent);
          } catch (error) {
            errors++;
            firstFailure ??= error.message;
            if (errors > 100) throw error;
          }
        }
      }),
    );
    const elapsedMs = performance.now() - startedAt;
    const cpu = process.cpuUsage(cpuBefore);
    const result = {
      ...describe(latencies, elapsedMs),
      non2xx: 0,
      errors,
      ...(firstFailure === undefined ? {} : { firstFailure }),
      loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
      extra: plan.extra?.() ?? {},
    };
    await hooks.done(result);
    return result;
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

function describe(latencies, elapsedMs) {
  const values = latencies.toArray();
  return {
    requests: values.length,
    elapsedMs,
    throughput: values.length / (elapsedMs / 1000),
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  };
}

// The child-process side of runLoad.
if (process.argv.includes('--loadgen-worker') && process.send) {
  const waiters = new Map();
  const waitFor = (type) => new Promise((resolve) => waiters.set(type, resolve));
  process.on('message', (message) => {
    if (message.type === 'job') {
      const hooks = {
        ready: () => {
          process.send({ type: 'ready' });
          return waitFor('go');
        },
        done: (result) => {
          process.send({ type: 'done', result });
          return waitFor('close');
        },
      };
      runJob(message.job, hooks).then(
        () => process.exit(0),
        (error) => {
          process.send({ type: 'error', message: error.message, stack: error.stack }, () => process.exit(1));
        },
      );
    } else {
      waiters.get(message.type)?.(message);
    }
  });
}
