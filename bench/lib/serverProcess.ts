import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, stopChild, track, waitForExit } from './childProcesses.js';
import { cpuTimeMs, mainThreadCpuMs, peakRssBytes, rssBytes } from './procStats.js';

/** The repository root (this file runs as dist/bench/lib/serverProcess.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** The /stats body fields the harness reads. */
export interface ServerStats {
  readonly total_events: number;
  readonly head_offset: number;
  readonly router: {
    readonly active_subscribers: number;
    readonly lagging_subscribers: number;
    readonly replaying_subscribers: number;
    readonly active_sessions: number;
    readonly publishers: number;
    readonly events_delivered: number;
    readonly events_routed: number;
    readonly group_commits: number;
  };
}

/** How to start the server under test. */
export interface ServerOptions {
  /** Directory for the database (the caller owns and removes it). */
  readonly dir: string;
  /** Extra environment (MAX_SUBSCRIBERS, …); HOST, PORT, DATABASE_PATH and LOG_LEVEL are set here. */
  readonly env?: Readonly<Record<string, string>>;
  /** Write a V8 CPU profile of the server to this directory when it stops. */
  readonly profileDir?: string | null;
  /** How long to wait for GET /readiness (default 20 s; a large log's startup catch-up takes longer on a busy machine). */
  readonly readyTimeoutMs?: number;
  /** A name for the profile file. */
  readonly label: string;
  /** A checkout whose built server to run (default this one), for a tool comparing two commits. */
  readonly checkout?: string;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; there is a small race until the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A running `node dist/src/main.js` child on a temp database. */
export class ServerProcess {
  private readonly output: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly databasePath: string,
  ) {
    const copyTo = process.env.BENCH_SERVER_OUTPUT;
    const keep = (text: string) => {
      if (copyTo) appendFileSync(copyTo, text);
      this.output.push(text);
      if (this.output.length > 50) this.output.shift();
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
  }

  /** Spawn the server and wait for GET /readiness (at most 20 s). */
  static async start(options: ServerOptions): Promise<ServerProcess> {
    const databasePath = join(options.dir, 'events.db');
    // Hint: diagnosis knobs, e.g. BENCH_SERVER_NODE_ARGS="--trace-gc" BENCH_SERVER_OUTPUT=/tmp/server.log.
    const execArgv = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
    if (options.profileDir) {
      // Hint: one directory per server and Node's own file names (CPU.<date>.<time>.<pid>.<thread id>.<seq>), so the
      // writer thread's and the index worker's profiles do not overwrite the I/O thread's (thread id 0).
      const dir = join(options.profileDir, `${options.label}-${Date.now()}`);
      mkdirSync(dir, { recursive: true });
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    }
    let lastError: unknown = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = track(
        spawn(
          process.execPath,
          [...execArgv, options.checkout === undefined ? MAIN : join(options.checkout, 'dist/src/main.js')],
          {
            cwd: options.checkout ?? REPO_ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: {
              ...process.env,
              HOST: '127.0.0.1',
              PORT: String(port),
              DATABASE_PATH: databasePath,
              LOG_LEVEL: 'warn',
              ...options.env,
            },
          },
        ),
      );
      const server = new ServerProcess(child, port, databasePath);
      try {
        await server.waitReady(options.readyTimeoutMs ?? 20_000);
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw new Error(`server did not start: ${String(lastError)}`);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The last lines the server printed (for error reports). */
  recentOutput(): string {
    return this.output.join('').trim().slice(-3_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!isRunning(this.child)) throw new Error(`server exited during startup: ${this.recentOutput()}`);
      try {
        const response = await fetch(`${this.baseUrl}/readiness`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`server not ready within ${timeoutMs} ms: ${this.recentOutput()}`);
  }

  /** Throw if the server died (a crash under load is a real error). */
  assertAlive(): void {
    if (!isRunning(this.child))
      throw new Error(
        `server exited (code ${this.child.exitCode}, signal ${this.child.signalCode}): ${this.recentOutput()}`,
      );
  }

  async stats(): Promise<ServerStats> {
    this.assertAlive();
    const response = await fetch(`${this.baseUrl}/stats`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET /stats answered ${response.status}`);
    return (await response.json()) as ServerStats;
  }

  /** Server CPU time (user + system) so far, in ms. */
  cpuTimeMs(): number {
    this.assertAlive();
    return cpuTimeMs(this.pid);
  }

  /** CPU time of the server's main (I/O) thread so far, in ms: total minus writer, indexer, GC and pool threads. */
  ioThreadCpuMs(): number {
    this.assertAlive();
    return mainThreadCpuMs(this.pid);
  }

  rssBytes(): number {
    this.assertAlive();
    return rssBytes(this.pid);
  }

  /** The largest RSS the server has had since it started. */
  peakRssBytes(): number {
    this.assertAlive();
    return peakRssBytes(this.pid);
  }

  /** SIGTERM (the server's clean shutdown, which also flushes a CPU profile), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM', 15_000);
    await waitForExit(this.child, 1_000);
  }
}
