// Test-only child process (run with --expose-gc): the built server in a process of its own, so a test can read the
// server's memory from /proc/<pid>/status without its own clients in the figure, or drive its clock. IPC requests:
// {kind:'gc'} runs a full GC; {kind:'heap'} runs one and returns V8's heapUsed; {kind:'inspect', subscriber} returns pipeline.inspectSubscriber(subscriber);
// {kind:'advance', ms} moves the manual clock (MANUAL_CLOCK=1: the sweep runs only then; deferred work runs for real).
import { ManualScheduler } from '../../dist/src/actors/manualScheduler.js';
import { loadConfig } from '../../dist/src/config.js';
import { startServer } from '../../dist/src/http/server.js';

const scheduler = process.env.MANUAL_CLOCK === '1' ? new ManualScheduler(Date.now(), true) : undefined;
const config = loadConfig({ ...process.env, HOST: '127.0.0.1', PORT: process.env.PORT ?? '0' });
const server = await startServer(config, scheduler === undefined ? {} : { scheduler });
process.on('message', (request) => {
  if (request.kind === 'gc' || request.kind === 'heap') globalThis.gc();
  if (request.kind === 'advance') scheduler?.advance(request.ms);
  const value =
    request.kind === 'inspect'
      ? (server.pipeline.inspectSubscriber(request.subscriber) ?? null)
      : request.kind === 'heap'
        ? process.memoryUsage().heapUsed
        : null;
  process.send({ seq: request.seq, value });
});
process.once('disconnect', () => void server.close().then(() => process.exit(0)));
process.send({ seq: 0, value: server.port });
