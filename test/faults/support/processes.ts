// The real server as a child process: started as `npm start` starts it, killed and restarted by the
// scenarios. Every child is tracked, so a failing scenario still ends all of them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, SERVER_ENTRY } from './settings.js';

const children = new Set<ChildProcess>();

/** SIGKILL to every child still alive (for `after` hooks and signals). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.once('exit', killAllChildren);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Is this port free on 127.0.0.1 right now? */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function keepTail(stream: NodeJS.ReadableStream | null, tail: string[], lines = 40): void {
  if (!stream) return;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    tail.push(...chunk.split('\n').filter((line) => line.length > 0));
    if (tail.length > lines) tail.splice(0, tail.length - lines);
  });
}

export interface ServerOptions {
  env: Record<string, string>;
  port: number;
  readyTimeoutMs?: number;
  /** Lines of the server's output (stdout and stderr, every start) matching this are kept in `watched`. */
  watch?: RegExp;
}

/** Calls `onLine` for every whole line of `stream`. */
function eachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let partial = '';
  stream.on('data', (chunk: Buffer | string) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}

/**
 * One server (node packages/server/dist/main.js) on a fixed port, restartable: each `start` spawns
 * a new process on the same port and database and waits for GET /healthz to answer 200.
 */
export class ServerProcess {
  readonly baseUrl: string;
  private child: ChildProcess | undefined;
  private readonly stdout: string[] = [];
  private readonly stderr: string[] = [];
  /** Milliseconds from spawn to ready, one per start. */
  readonly readyMs: number[] = [];
  starts = 0;
  kills = 0;
  /** Output lines that matched `options.watch`, across every start. */
  readonly watched: string[] = [];

  constructor(private readonly options: ServerOptions) {
    this.baseUrl = `http://127.0.0.1:${options.port}`;
  }

  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The process's exit, if it has exited: `code` or `signal`. */
  get exit(): string | undefined {
    if (!this.child || this.alive) return undefined;
    return String(this.child.exitCode ?? this.child.signalCode);
  }

  async start(): Promise<number> {
    if (this.alive) throw new Error('The server is already running');
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(this.options.port),
        LOG_LEVEL: 'warn',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    this.child = child;
    this.starts++;
    const watch = this.options.watch;
    if (watch) {
      for (const stream of [child.stdout, child.stderr])
        eachLine(stream, (line) => {
          if (watch.test(line)) this.watched.push(line);
        });
    }
    keepTail(child.stdout, this.stdout);
    keepTail(child.stderr, this.stderr);
    const timeoutMs = this.options.readyTimeoutMs ?? 90_000;
    for (;;) {
      if (!this.alive) throw this.failure(`The server exited (${this.exit}) before it was ready`);
      try {
        const response = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) {
          const ms = performance.now() - spawnedAt;
          this.readyMs.push(ms);
          return ms;
        }
      } catch {
        // not listening yet
      }
      if (performance.now() - spawnedAt > timeoutMs) {
        child.kill('SIGKILL');
        throw this.failure(`The server was not ready within ${timeoutMs / 1000} s`);
      }
      await sleep(20);
    }
  }

  /** SIGKILL, as a crash: no graceful stop, nothing flushed. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    this.kills++;
    await exited;
  }

  /** SIGSTOP: the process freezes (its sockets stay open, its timers stop) until `resume`. */
  pause(): void {
    if (!this.child || !this.alive) throw new Error('The server is not running');
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    if (!this.child || !this.alive) throw new Error('The server is not running');
    this.child.kill('SIGCONT');
  }

  /** SIGTERM (graceful stop), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(graceMs).then(() => 'timeout')])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** The last lines the server wrote, for failure messages. */
  logTail(): string {
    return `--- server stdout (tail) ---\n${this.stdout.join('\n')}\n--- server stderr (tail) ---\n${this.stderr.join('\n')}`;
  }

  private failure(reason: string): Error {
    return new Error(`${reason}\n${this.logTail()}`);
  }
}

/** `npm run cli -- audit verify` against the database `env` names; its exit code and output. */
export function auditVerify(env: Record<string, string>): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, ['packages/server/dist/cli/main.js', 'audit', 'verify'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}
