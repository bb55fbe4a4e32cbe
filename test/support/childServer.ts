import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stablePort } from '../../bench/lib/stablePort.js';

/** The built entry point; `npm test` builds first (pretest), and so must anyone running these files directly. */
export const MAIN_JS = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

/** A server running as a child process, the way production runs it. */
export interface ChildServer {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly base: string;
  readonly wsBase: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process wrote, for failure messages. */
  output(): string;
}

export { stablePort };

/** The repository's root, where `npm start` runs. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Start `node dist/src/main.js` on a free port (or `env.PORT`) with the database at `databasePath`; resolves once /health answers.
 * With `command` (e.g. `['npm', 'start', '--ignore-scripts']`), that runs in the repository's root instead.
 */
export async function spawnServer(
  databasePath: string,
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
  command: readonly [string, ...string[]] = [process.execPath, ...nodeArgs, MAIN_JS],
): Promise<ChildServer> {
  // Hint: a PORT in `env` (a restart on the same address) is the one to wait for.
  const port = env.PORT === undefined ? await stablePort() : Number(env.PORT);
  const { proc, exited, output } = spawnMain(
    { HOST: '127.0.0.1', PORT: String(port), DATABASE_PATH: databasePath, LOG_LEVEL: 'warn', ...env },
    command,
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  // Hint: what the last /health attempt got, so a start that never becomes ready says whether anything answered.
  let lastAttempt = 'no attempt';
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready:\n${output()}`);
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok) break;
      lastAttempt = `HTTP ${response.status} ${await response.text()}`;
    } catch (error) {
      lastAttempt = String(error instanceof Error && error.cause instanceof Error ? error.cause.message : error);
    }
    if (Date.now() > deadline) {
      const state = procState(proc.pid);
      proc.kill('SIGKILL');
      throw new Error(
        `server (pid ${proc.pid}, ${state}) not ready within 15 s; last /health attempt: ${lastAttempt}\n${output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { proc, port, base, wsBase: `ws://127.0.0.1:${port}`, exited, output };
}

/** The process's scheduler state and CPU time so far from /proc (Linux), to tell a blocked start from a starved one. */
function procState(pid: number | undefined): string {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return `state ${fields[0]}, ${(ticks / 100).toFixed(2)} s CPU`;
  } catch {
    return 'no /proc entry';
  }
}

/** Kill the process if it is still running, and wait for it to go. */
export async function killServer(server: ChildServer | undefined): Promise<void> {
  if (server === undefined) return;
  if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  await server.exited;
}

/** A child process running main.js (or `command`), its output collected. */
export interface SpawnedMain {
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/**
 * Spawn `node dist/src/main.js` (or `command`) in the repository's root with `env` added to this process's, its
 * stdout and stderr collected together; it does not wait for the server to listen.
 */
export function spawnMain(
  env: Record<string, string>,
  command: readonly [string, ...string[]] = [process.execPath, MAIN_JS],
  base: NodeJS.ProcessEnv = process.env,
): SpawnedMain {
  const proc = spawn(command[0], command.slice(1), {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, exited, output: () => output };
}

/** How a run of main.js that was expected to end ended. */
export interface MainRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `node dist/src/main.js` with `args` and exactly `env` added to a minimal environment (PATH only, so no stray
 * setting from the caller's shell leaks in) and wait for it to exit; killed after 15 s.
 */
export function runMain(env: Record<string, string>, args: readonly string[] = []): Promise<MainRun> {
  const proc = spawn(process.execPath, [MAIN_JS, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}
