// Test-only worker: hosts JetStreamEventLog instances (from dist/) for the synchronous proxy in syncJetStreamLog.ts,
// so the log contract, written against synchronous appends, drives the real asynchronous commit path.
import { workerData } from 'node:worker_threads';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { JetStreamEventLog } from '../../dist/src/persistence/jetstream/jetStreamEventLog.js';

const { port, flag, servers } = workerData;
const signal = new Int32Array(flag);
const logs = new Map();
const ids = [];
let now = 0;

let manager = null;

/** Delete the streams of finished harnesses. */
async function drop(streams) {
  if (streams.length === 0) return;
  manager ??= jetstreamManager(await connect({ servers }));
  const jsm = await manager;
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
}

async function run(request) {
  if (request.call === 'open') {
    await drop(request.drop);
    const log = await JetStreamEventLog.open({
      path: request.path,
      now: () => now,
      newId: () => {
        if (ids.length === 0) throw new Error('the proxy sent too few generated ids');
        return ids.shift();
      },
      newEpoch: () => request.epoch,
      indexer: 'inline',
      jetstream: { servers, stream: request.stream, replicas: 1, duplicateWindowMs: 120_000 },
    });
    logs.set(request.handle, log);
    return { epoch: log.epoch };
  }
  const log = logs.get(request.handle);
  if (request.method === 'appendGroups') return await log.commit(request.args[0]);
  if (request.method === 'deleteBefore') {
    await log.prepareRetention(request.args[0]);
    return log.deleteBefore(request.args[0]);
  }
  if (request.method === 'close') {
    // A closed handle still answers health and ping (the contract asks after close).
    log.close();
    return undefined;
  }
  return log[request.method](...request.args);
}

port.on('message', async (request) => {
  now = request.now;
  ids.push(...request.ids);
  let reply;
  try {
    reply = { ok: true, value: await run(request) };
  } catch (error) {
    reply = { ok: false, name: error?.name ?? 'Error', message: error?.message ?? String(error) };
  }
  port.postMessage(reply);
  // The reply is queued before the caller can see its sequence number (see syncJetStreamLog.ts).
  Atomics.store(signal, 0, request.seq);
  Atomics.notify(signal, 0);
});
