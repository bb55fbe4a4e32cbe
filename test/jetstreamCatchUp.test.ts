import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaApplier } from '../src/persistence/jetstream/replicaApplier.js';
import type { ReplicaSink } from '../src/persistence/jetstream/replicaApplierOptions.js';
import { type OpenedStream, openStream } from '../src/persistence/jetstream/streamSetup.js';
import { eventSubject } from '../src/persistence/jetstream/streamSubjects.js';
import { NatsCluster } from './support/natsCluster.js';
import { waitFor } from './support/pipelineRest.js';

// The applier's catch-up reads acked sequences one by one from the stream leader (STREAM.MSG.GET) when no consumer
// can be made (after a meta-leader loss, test/clusterFailover.test.ts).
let nats: NatsCluster | undefined;
const opened: OpenedStream[] = [];

beforeAll(async () => {
  nats = await NatsCluster.start(1);
}, 30_000);
afterAll(async () => {
  for (const stream of opened) await stream.nc.close();
  await nats?.stop();
});

const open = async (stream: string) => {
  const handle = await openStream(
    { servers: nats!.url.split(','), stream, replicas: 1, duplicateWindowMs: 120_000 },
    () => 'e1',
  );
  opened.push(handle);
  return handle;
};

/** A sink that keeps what it is given, in order, and follows its position as a replica does. */
function memorySink() {
  const applied: { seq: number; msgId: string | null; text: string }[] = [];
  const skipped: { seq: number; reason: string }[] = [];
  let next = 1;
  const sink: ReplicaSink = {
    nextSeq: () => next,
    apply: (seq, msgId, data) => {
      if (seq < next) return;
      applied.push({ seq, msgId, text: new TextDecoder().decode(data) });
      next = seq + 1;
    },
    skip: (seq, reason) => {
      if (seq < next) return;
      skipped.push({ seq, reason });
      next = seq + 1;
    },
    follow: (firstSeq) => {
      next = Math.max(next, firstSeq);
      return 0;
    },
    noteLast: () => undefined,
  };
  return { ...sink, applied, skipped };
}

describe('replica catch-up by sequence', () => {
  it('applies acked sequences in order, with their message ids, without a consumer (the fallback while none can be made)', async () => {
    const { js, jsm } = await open('CATCHUP');
    for (let i = 1; i <= 5; i++) await js.publish(eventSubject('CATCHUP'), `m${i}`, { msgID: `id-${i}` });
    const sink = memorySink();
    // Not started: no consumer exists, so only catch-up can apply anything.
    const applier = new ReplicaApplier({ js, jsm, stream: 'CATCHUP', sink, onNotice: () => undefined });
    applier.catchUp(3);
    await waitFor(() => sink.applied.length >= 3, 'sequences 1-3');
    applier.catchUp(5);
    await waitFor(() => sink.applied.length >= 5, 'sequences 4-5');
    await applier.stop();
    expect(sink.applied).toEqual([1, 2, 3, 4, 5].map((seq) => ({ seq, msgId: `id-${seq}`, text: `m${seq}` })));
  });

  it("takes a skip in sequence for a gap only on the stream's word: a deleted message is a no-op, a purge is followed", async () => {
    const { js, jsm } = await open('GAPS');
    for (let i = 1; i <= 6; i++) await js.publish(eventSubject('GAPS'), `m${i}`, { msgID: `id-${i}` });
    await jsm.streams.deleteMessage('GAPS', 4);
    const sink = memorySink();
    sink.apply(1, 'id-1', new TextEncoder().encode('m1'));
    await jsm.streams.purge('GAPS', { seq: 3 });
    const applier = new ReplicaApplier({ js, jsm, stream: 'GAPS', sink, onNotice: () => undefined, retryMs: 10 });
    applier.start();
    await waitFor(() => sink.applied.length >= 4, 'sequences 3, 5 and 6');
    await applier.stop();
    expect(sink.applied.map((m) => m.seq)).toEqual([1, 3, 5, 6]);
    expect(sink.skipped).toEqual([{ seq: 4, reason: 'deleted from the stream' }]);
  });
});
