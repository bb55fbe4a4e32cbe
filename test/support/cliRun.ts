import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { startTestServer, type TestServer } from './testServer.js';

/** What a CLI run printed and its exit code. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run the CLI in this process: the same `runCli` the binary's main.ts calls, on in-memory stdin, stdout, stderr and
 * environment. Hint: a child process costs ~0.25 s of CPU to start; the binary itself (exit codes through
 * process.exitCode, signals, serve and bench) is run as a child where that matters.
 */
export async function cli(
  args: readonly string[],
  input: string | Buffer = '',
  env: Record<string, string> = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from([input]), env: { ...env } });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** The built binary (dist/src/cli/main.js), as the shell runs it. */
export const CLI_BINARY = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/**
 * Run the built binary as a child to completion (killed after 30 s): its exit code, stderr, and stdout unless
 * `stdoutFd` sends that to an open file (such as /dev/full). Hint: for what only the process shows: exit codes set
 * by main.ts, errors on the process's own stdout, signals.
 */
export function cliBinary(args: readonly string[], stdoutFd?: number): Promise<CliRun> {
  const proc = spawn(process.execPath, [CLI_BINARY, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * Servers for the CLI to talk to, in this process, each on its own database in one temp directory (`dir()`, made on
 * first use); all are closed and the directory removed after each test.
 */
export function cliServers(prefix: string) {
  const servers: TestServer[] = [];
  let made: string | undefined;
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
    made = undefined;
  });
  const dir = () => (made ??= mkdtempSync(join(tmpdir(), prefix)));
  const server = async (name: string, env: Record<string, string> = {}): Promise<TestServer> => {
    const started = await startTestServer(
      { ...env, LOG_LEVEL: 'warn', DATABASE_PATH: join(dir(), `${name}.db`) },
      {},
      dir(),
    );
    servers.push(started);
    return started;
  };
  return { dir, server };
}
