#!/usr/bin/env node
import { EXIT } from './command.js';
import { outputErrorLine } from './outputError.js';
import { runCli } from './runCli.js';
import { stdoutClosed } from './stdoutClosed.js';

const args = process.argv.slice(2);

// Hint: a reader that stopped early (`| head`) closes the pipe; that ends the command quietly, not with a stack trace,
// unless the command stops on its own (`publish --acks` would store events whose acks nobody reads). Any other write error (`> /dev/full`: ENOSPC) is one line and exit 1: nothing more can be written, so stop now.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    if (!stdoutClosed()) process.exit(EXIT.ok);
    return;
  }
  process.stderr.write(`${outputErrorLine(args[0], error)}\n`);
  process.exit(EXIT.failed);
});

// Hint: set the exit code and let stdout drain, rather than process.exit, so piped output is never cut short.
void runCli(args, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
