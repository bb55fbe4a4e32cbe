import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamUnavailableError } from '../src/persistence/jetstream/jetStreamOptions.js';
import { ReplicaApplier } from '../src/persistence/jetstream/replicaApplier.js';
import type { ReplicaSink } from '../src/persistence/jetstream/replicaApplierOptions.js';
import { confirmStreamHead } from '../src/persistence/jetstream/streamContact.js';
import { type OpenedStream, openStream } from '../src/persistence/jetstream/streamSetup.js';
import { eventSubject } from '../src/persistence/jetstream/streamSubjects.js';
import { NatsCluster } from './support/natsCluster.js';

// What a cluster node answers a subscriber asking beyond its view: the stream's last sequence, asked now, or a refusal
// naming why the stream cannot say (never this node's own, possibly stale, view).
let nats: NatsCluster | undefined;
let opened: OpenedStream | undefined;

beforeAll(async () => {
  nats = await NatsCluster.start(1);
  opened = await openStream(
    { servers: nats.url.split(','), stream: 'HEAD', replicas: 1, duplicateWindowMs: 120_000 },
    () => 'e1',
  );
}, 30_000);
afterAll(async () => {
  await opened?.nc.close();
  await nats?.stop();
});

/** An applier that is never started (nothing is applied) and a feed that knows what the applier noted. */
async function staleNode() {
  const { nc, js } = opened!;
  let noted = 0;
  const sink: ReplicaSink = {
    nextSeq: () => 1,
    apply: () => undefined,
    skip: () => undefined,
    follow: () => 0,
    noteLast: (last) => (noted = Math.max(noted, last)),
  };
  const jsm = await jetstreamManager(nc, { timeout: 1_000, checkAPI: false });
  const applier = new ReplicaApplier({ js, jsm, stream: 'HEAD', sink, onNotice: () => undefined });
  return { applier, feed: { knownHead: () => noted } };
}

describe('confirmStreamHead', () => {
  it("answers the stream's last sequence, asked now, however stale the node's own view", async () => {
    const node = await staleNode();
    expect(node.feed.knownHead()).toBe(0);
    for (let i = 1; i <= 7; i++) await opened!.js.publish(eventSubject('HEAD'), `m${i}`);
    expect(await confirmStreamHead(node, true)).toBe(7);
    expect(node.feed.knownHead()).toBe(7);
  });

  it('refuses, naming why, while the node is cut off or the stream does not answer', async () => {
    const node = await staleNode();
    await expect(confirmStreamHead(node, false)).rejects.toEqual(
      new JetStreamUnavailableError('the NATS cluster is unreachable'),
    );
    await nats!.kill(0);
    await expect(confirmStreamHead(node, true)).rejects.toEqual(
      new JetStreamUnavailableError('the stream did not answer'),
    );
    expect(node.feed.knownHead()).toBe(0);
  });
});
