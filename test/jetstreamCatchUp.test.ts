import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaApplier, type ReplicaSink } from '../src/persistence/jetstream/replicaApplier.js';
import { type OpenedStream, openStream } from '../src/persistence/jetstream/streamSetup.js';
import { eventSubject } from '../src/persistence/jetstream/streamSubjects.js';
import { NatsCluster } from './support/natsCluster.js';

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

/** A sink that keeps what it is given, in order. */
function memorySink(): ReplicaSink & { readonly applied: { seq: number; msgId: string | null; text: string }[] } {
  const applied: { seq: number; msgId: string | null; text: string }[] = [];
  return {
    applied,
    nextSeq: () => (applied.at(-1)?.seq ?? 0) + 1,
    apply: (seq, msgId, data) => {
      applied.push({ seq, msgId, text: new TextDecoder().decode(data) });
    },
    follow: (firstSeq) => firstSeq,
    noteLast: () => undefined,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('replica catch-up by sequence', () => {
  it('applies acked sequences in order, with their message ids, without a consumer (the fallback while none can be made)', async () => {
    const { js, jsm } = await open('CATCHUP');
    for (let i = 1; i <= 5; i++) await js.publish(eventSubject('CATCHUP'), `m${i}`, { msgID: `id-${i}` });
    const sink = memorySink();
    // Not started: no consumer exists, so only catch-up can apply anything.
    const applier = new ReplicaApplier({ js, jsm, stream: 'CATCHUP', sink, onNotice: () => undefined });
    applier.catchUp(3);
    await until(() => sink.applied.length >= 3, 'sequences 1-3');
    applier.catchUp(5);
    await until(() => sink.applied.length >= 5, 'sequences 4-5');
    await applier.stop();
    expect(sink.applied).toEqual([1, 2, 3, 4, 5].map((seq) => ({ seq, msgId: `id-${seq}`, text: `m${seq}` })));
  });
});
