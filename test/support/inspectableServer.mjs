// Test-only child process (run with --expose-gc): the built server in a process of its own, so a test can read the
// server's memory from /proc/<pid>/status without its own clients in the figure. It answers IPC requests:
// {kind:'gc'} runs a full GC; {kind:'inspect', subscriber} returns pipeline.inspectSubscriber(subscriber).
import { loadConfig } from '../../dist/src/config.js';
import { startServer } from '../../dist/src/http/server.js';

const server = await startServer(loadConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0' }));
process.on('message', (request) => {
  if (request.kind === 'gc') globalThis.gc();
  const value = request.kind === 'inspect' ? (server.pipeline.inspectSubscriber(request.subscriber) ?? null) : null;
  process.send({ seq: request.seq, value });
});
process.once('disconnect', () => void server.close().then(() => process.exit(0)));
process.send({ seq: 0, value: server.port });
