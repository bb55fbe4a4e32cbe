import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamSettingError } from '../src/persistence/jetstream/jetStreamOptions.js';
import { marksStreamOf, marksSubjectOf, PurgeMarks } from '../src/persistence/jetstream/purgeMarks.js';
import { openStream } from '../src/persistence/jetstream/streamSetup.js';
import { NatsCluster } from './support/natsCluster.js';

// Real nats-server (one, R1): the marks stream is made, read and raised as nodes do.
let nats: NatsCluster | undefined;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await NatsCluster.start(1);
  nc = await connect({ servers: nats.url.split(',') });
}, 30_000);
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** Open `stream`'s marks as a node does, its events stream made first and purged up to `firstSeq` (by hand). */
const open = async (stream: string, epoch = 'e1', firstSeq = 1) => {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const info = await jsm.streams.info(stream).catch(() => jsm.streams.add({ name: stream, subjects: [`${stream}.>`] }));
  for (let seq = info.state.last_seq + 1; seq < firstSeq; seq++) await js.publish(`${stream}.event`, 'x');
  await jsm.streams.purge(stream, { seq: firstSeq });
  return PurgeMarks.open(jsm, js, { stream, epoch });
};

describe('PurgeMarks: the highest cut a purge asked for, recorded before the purge', () => {
  it('marks a log without a mark at its first sequence, and a mark only rises, whoever raises it', async () => {
    const first = await open('MARKS', 'e1', 40);
    expect(await first.read()).toBe(40);
    // A second node opening it keeps the mark there is.
    const second = await open('MARKS', 'e1', 90);
    expect(await second.read()).toBe(40);
    await Promise.all([first.raise(70), second.raise(55), first.raise(60), second.raise(65)]);
    expect(await first.read()).toBe(70);
    await second.raise(50);
    expect(await second.read()).toBe(70);
    const info = await (await jetstreamManager(nc)).streams.info(marksStreamOf('MARKS'));
    expect(info.config).toMatchObject({ subjects: [marksSubjectOf('MARKS')], max_msgs_per_subject: 1 });
    expect(info.state.messages).toBe(1);
  });

  it("reads another log's mark (a stream made again) as none, and marks the new one at its first sequence", async () => {
    const old = await open('REMADE', 'e1', 1);
    await old.raise(30);
    const renewed = await open('REMADE', 'e2', 5);
    expect(await renewed.read()).toBe(5);
    expect(await old.read()).toBe(0);
  });

  it('reads 0 once its stream is gone (nothing recorded), and refuses a stream of that name that holds other subjects', async () => {
    const marks = await open('GONE');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(marksStreamOf('GONE'));
    expect(await marks.read()).toBe(0);
    await jsm.streams.add({ name: marksStreamOf('TAKEN'), subjects: ['something.else'] });
    const refused = await open('TAKEN').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JetStreamSettingError);
    expect(refused).toMatchObject({
      variable: 'NATS_STREAM',
      message:
        "stream TAKEN-purges exists but does not hold TAKEN's purge marks (its subjects: something.else); rename or " +
        'remove it, or choose another NATS_STREAM',
    });
  });

  it('refuses a taken marks name before it makes the events stream, so a refused node leaves no stream behind', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: marksStreamOf('FRESH'), subjects: ['other.thing'] });
    const refused = await openStream(
      { servers: nats!.url.split(','), stream: 'FRESH', replicas: 1, duplicateWindowMs: 120_000 },
      () => 'e1',
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JetStreamSettingError);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    expect(names).not.toContain('FRESH');
  });
});
