import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/runCli.js';

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
