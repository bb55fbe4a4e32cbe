import { afterAll, beforeAll } from 'vitest';
import { runLogContract } from './logContract.case.js';
import { NatsCluster } from './support/natsCluster.js';
import { SyncJetStreamLogHost } from './support/syncJetStreamLog.js';

// One nats-server with JetStream on a free loopback port; every harness of the contract gets its own stream.
let nats: NatsCluster | undefined;
let host: SyncJetStreamLogHost | undefined;

beforeAll(async () => {
  nats = await NatsCluster.start(1);
  host = new SyncJetStreamLogHost(nats.url);
}, 30_000);
afterAll(async () => {
  await host?.stop();
  await nats?.stop();
});

runLogContract('JetStreamEventLog (replica applied from a one-server stream)', (path, deps) => {
  if (host === undefined) throw new Error('the NATS server did not start');
  return host.open(path, deps);
});
