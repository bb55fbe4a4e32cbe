import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { AHEAD_MS, ReplicaAhead } from '../src/persistence/jetstream/replicaAhead.js';
import { ReplicaApplier } from '../src/persistence/jetstream/replicaApplier.js';
import type { ReplicaSink } from '../src/persistence/jetstream/replicaApplierOptions.js';
import { type OpenedStream, openStream } from '../src/persistence/jetstream/streamSetup.js';
import { eventSubject } from '../src/persistence/jetstream/streamSubjects.js';
import { NatsCluster } from './support/natsCluster.js';

// What a node does with a stream answer below its replica's head: publishes wait for the next answers (a leader may
// answer before it applied what a follower already served), and are refused only once the stream stays below.
let nats: NatsCluster | undefined;
let opened: OpenedStream | undefined;

beforeAll(async () => {
  nats = await NatsCluster.start(1);
  opened = await openStream(
    { servers: nats.url.split(','), stream: 'AHEAD', replicas: 1, duplicateWindowMs: 120_000 },
    () => 'e1',
  );
}, 30_000);
afterAll(async () => {
  await opened?.nc.close();
  await nats?.stop();
});

/** An applier (never started) over a replica said to hold offsets up to `head`, on a manual clock. */
async function nodeAt(head: number) {
  const { nc, js } = opened!;
  const clock = new ManualScheduler();
  const ahead = new ReplicaAhead(
    'AHEAD',
    () => clock.now(),
    async (ms) => clock.advance(ms),
  );
  const sink: ReplicaSink = {
    nextSeq: () => head + 1,
    apply: () => undefined,
    skip: () => undefined,
    follow: () => 0,
    noteLast: () => undefined,
  };
  const jsm = await jetstreamManager(nc, { timeout: 1_000, checkAPI: false });
  return { applier: new ReplicaApplier({ js, jsm, stream: 'AHEAD', sink, onNotice: () => undefined, ahead }), clock };
}

const publish = async (count: number) => {
  for (let i = 0; i < count; i++) await opened!.js.publish(eventSubject('AHEAD'), `m${i}`);
};

describe('a stream answer below the replica', () => {
  it('holds publishes until the next answer reaches the head, and refuses none (a leader behind a follower)', async () => {
    await publish(5);
    const { applier } = await nodeAt(10);
    expect(await applier.askStream(true)).toBeNull();
    // Before, this node refused every publish from here for up to 3 s: "waiting up to 3 s to confirm it".
    expect(applier.refusal).toBeNull();
    const waiting = applier.publishRefusal();
    await publish(5);
    expect(await waiting).toBeNull();
    expect(applier.refusal).toBeNull();
  });

  it('refuses publishes once the stream stays below the head for AHEAD_MS (it lost what the replica holds)', async () => {
    const { applier, clock } = await nodeAt(40);
    const started = clock.now();
    expect(await applier.askStream(true)).toBeNull();
    expect(applier.refusal).toBeNull();
    expect(await applier.publishRefusal()).toMatch(
      /^this node's replica holds offsets up to 40 but stream AHEAD ends at sequence 10: .*offsets 11-40 here are in no stream/,
    );
    expect(clock.now() - started).toBeGreaterThanOrEqual(AHEAD_MS);
    expect(applier.refusal).toMatch(/^this node's replica holds offsets up to 40/);
  });
});
