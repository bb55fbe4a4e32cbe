import { writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { earlyStop } from './earlyStop.js';

// Hint: first thing, before the server's modules load (pino, uWS, SQLite, NATS: ~150 ms of a start), so a SIGTERM
// then is a clean exit 0 with a line, not Node's default action (exit 143, no line; a probe signalled 10-150 ms in).
// Only Node's own startup, before this runs, is left to the default action.
const early = earlyStop({
  signals: process,
  logLevel: process.env.LOG_LEVEL,
  writeLine: (line) => writeSync(1, `${line}\n`),
  exit: (code) => process.exit(code),
  now: () => new Date(),
  pid: process.pid,
  hostname: hostname(),
});
// Hint: not awaited at the top level: a rejection stays an unhandled one, which the last-resort handler logs.
void import('./serverProcess.js').then(({ runServerProcess }) => runServerProcess(early.handOver));
