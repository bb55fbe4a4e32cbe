#!/usr/bin/env node
import { runCli } from './runCli.js';

// Hint: a reader that stopped early (`| head`) closes the pipe; that ends the command quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

// Hint: set the exit code and let stdout drain, rather than process.exit, so piped output is never cut short.
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
