#!/usr/bin/env node
import { runCli } from './runCli.js';

// Hint: set the exit code and let stdout drain, rather than process.exit, so piped output is never cut short.
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
