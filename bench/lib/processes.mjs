// Child processes of the bench (servers, load generators) and what /proc says about them. Every
// child is tracked so that an error or Ctrl-C still ends all of them: nothing outlives the bench.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const children = new Set();

/** Starts tracking a child; it is forgotten again when it exits. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM to every live child, SIGKILL to any still alive after `graceMs`. */
export async function killAll(graceMs = 5000) {
  const alive = [...children].filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(alive.map((child) => stopChild(child, graceMs)));
}

/** Ends one child: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last lines a child wrote, to show when it fails. */
export function captureTail(stream, lines = 40) {
  const tail = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    tail.push(...chunk.split('\n').filter((line) => line.length > 0));
    if (tail.length > lines) tail.splice(0, tail.length - lines);
  });
  return tail;
}

let clockTicks;
/** Kernel clock ticks per second (utime/stime units in /proc/<pid>/stat). */
export function clockTicksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** { comm, cpuSeconds } of a process from /proc/<pid>/stat (utime + stime), or undefined if gone. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  // Fields after "pid (comm)": state is field 3, utime field 14, stime field 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { comm, cpuSeconds: ticks / clockTicksPerSecond() };
}

/** CPU seconds used so far by the process `pid`. */
export function cpuSeconds(pid) {
  return procStat(pid)?.cpuSeconds ?? Number.NaN;
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/**
 * CPU seconds of every process named `postgres` on this machine (the whole cluster: backends,
 * WAL writer, checkpointer), by pid, for deltas across a measured window.
 */
export function postgresCpu() {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat?.comm === 'postgres') byPid.set(entry, stat.cpuSeconds);
  }
  return byPid;
}

/**
 * CPU seconds the postgres processes used between two snapshots. A process born in between counts
 * in full; one that ended in between is lost (the harness takes the second snapshot before its own
 * connections close, so that is only other sessions' short-lived backends).
 */
export function postgresCpuDelta(before, after) {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/**
 * Spawns the built server with the given environment and waits for GET /healthz to answer 200.
 * Returns { child, pid, baseUrl, readyMs } where readyMs runs from spawn to the first 200.
 */
export async function startServer({ root, entry, env, port, nodeOptions = [], timeoutMs = 120_000 }) {
  const spawnedAt = performance.now();
  const child = track(
    spawn(process.execPath, [...nodeOptions, entry], {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const stdout = captureTail(child.stdout);
  const stderr = captureTail(child.stderr);
  const baseUrl = `http://127.0.0.1:${port}`;
  const failure = (reason) =>
    new Error(
      `${reason}\n--- server stdout (tail) ---\n${stdout.join('\n')}\n--- stderr ---\n${stderr.join('\n')}`,
    );
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw failure(`The server exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      await response.arrayBuffer();
      if (response.status === 200) {
        return { child, pid: child.pid, baseUrl, readyMs: performance.now() - spawnedAt, stdout, stderr };
      }
    } catch {
      // not listening yet
    }
    if (performance.now() - spawnedAt > timeoutMs) {
      await stopChild(child, 2000);
      throw failure(`The server was not ready within ${timeoutMs / 1000} s`);
    }
    await sleep(10);
  }
}

/** Runs a command and returns its trimmed output, or undefined when it fails. */
export function commandOutput(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
