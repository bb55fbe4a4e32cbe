import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JetStreamManager, StorageType } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverVersionWarning } from '../src/persistence/jetstream/serverVersion.js';
import { runMain } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster, withManager } from './support/natsCluster.js';
import { waitFor } from './support/pipelineRest.js';

/** The version the nats-server at `url` reports in its INFO. */
async function serverVersion(url: string): Promise<string | undefined> {
  const nc = await connect({ servers: url });
  const version = nc.info?.version;
  await nc.close();
  return version;
}

/**
 * Settings that cannot work with the NATS found: each start is refused with exit 2 and one line naming the variable
 * (as a ConfigError is), not exit 6 "cannot reach" after waiting; and an existing stream is checked, never changed
 * behind the operator's back except for what the settings own.
 */
describe('cluster mode: settings checked against the cluster and the stream', () => {
  let nats: NatsCluster;
  const dir = mkdtempSync(join(tmpdir(), 'cluster-settings-'));
  let runs = 0;
  beforeAll(async () => {
    nats = await NatsCluster.start(1);
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) =>
    runMain({
      LOG_BACKEND: 'jetstream',
      NATS_URL: nats.url,
      NATS_REPLICAS: '1',
      DATABASE_PATH: join(dir, `run-${++runs}.db`),
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    });

  const manage = <T>(use: (jsm: JetStreamManager) => Promise<T>) => withManager(nats.url, use);

  it('refuses more replicas than a single server keeps, naming NATS_REPLICAS', async () => {
    const run = await start({ NATS_STREAM: 'R3', NATS_REPLICAS: '3' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^configuration error: NATS_REPLICAS: 3 copies need a clustered NATS; .* set it to 1$/,
    );
  });

  it("refuses a MAX_PAYLOAD_BYTES the servers' max_payload cannot carry, naming the most that fits", async () => {
    const run = await start({ NATS_STREAM: 'BIG', MAX_PAYLOAD_BYTES: '600000' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "configuration error: MAX_PAYLOAD_BYTES: 600000 is too large for the NATS servers' max_payload of 1048576 bytes: " +
        "an event's stream message can take twice its payload plus 4096 bytes, so MAX_PAYLOAD_BYTES can be at most 522240 here",
    );
    expect(await manage((jsm) => jsm.streams.names().next())).not.toContain('BIG');
  });

  it('refuses an existing stream that would lose events, naming each reason, and leaves it as it was', async () => {
    await manage((jsm) =>
      jsm.streams.add({ name: 'WORK', subjects: ['WORK.jobs'], retention: 'workqueue', num_replicas: 1 }),
    );
    const run = await start({ NATS_STREAM: 'WORK' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'configuration error: NATS_STREAM: stream WORK cannot hold the log: it does not capture subject WORK.event ' +
        '(its subjects: WORK.jobs); its retention is "workqueue", which removes messages once read; the log needs "limits"',
    );
    const config = (await manage((jsm) => jsm.streams.info('WORK'))).config;
    expect(config).toMatchObject({ subjects: ['WORK.jobs'], retention: 'workqueue' });
  });

  it('refuses an existing stream that never acks, drops events by count or lives in memory, naming the field', async () => {
    const streams = [
      { name: 'NOACK', subjects: ['NOACK.>'], num_replicas: 1, no_ack: true },
      { name: 'COUNTED', subjects: ['COUNTED.>'], num_replicas: 1, max_msgs: 100 },
      { name: 'VOLATILE', subjects: ['VOLATILE.>'], num_replicas: 1, storage: StorageType.Memory },
    ];
    await manage(async (jsm) => {
      // Hint: the client adds fields to the config it is given, so it gets a copy.
      for (const stream of streams) await jsm.streams.add({ ...stream });
    });
    // Before: each started ready; through NOACK every publish waited 10 s for a 503 though stored, COUNTED kept only
    // its last 100 events on every node, and VOLATILE lost the log with its servers' restart.
    const cannot = (name: string) => `configuration error: NATS_STREAM: stream ${name} cannot hold the log: `;
    const noAck = await start({ NATS_STREAM: 'NOACK' });
    expect([noAck.code, noAck.stderr.trim()]).toEqual([
      2,
      `${cannot('NOACK')}it does not acknowledge publishes (no_ack), and a commit is answered only once the stream ` +
        'acknowledges it; `nats stream edit NOACK --ack` turns acknowledgements on',
    ]);
    const counted = await start({ NATS_STREAM: 'COUNTED' });
    expect([counted.code, counted.stderr.trim()]).toEqual([
      2,
      `${cannot('COUNTED')}it keeps at most 100 messages (max_msgs) and deletes the oldest events beyond that on ` +
        "every node; the log's limits are NATS_MAX_BYTES and NATS_MAX_AGE_MS: lift it with " +
        '`nats stream edit COUNTED --max-msgs=-1`',
    ]);
    const volatile = await start({ NATS_STREAM: 'VOLATILE' });
    expect(volatile.code).toBe(2);
    expect(volatile.stderr.trim()).toMatch(/^configuration error: NATS_STREAM: stream VOLATILE .*storage is memory/);
    // Left as they were.
    for (const stream of streams)
      expect((await manage((jsm) => jsm.streams.info(stream.name))).config).toMatchObject(stream);
  });

  it('refuses a missing stream whose subjects another stream captures, naming NATS_STREAM and that stream', async () => {
    await manage((jsm) => jsm.streams.add({ name: 'CATCHER', subjects: ['LOGX.event'], num_replicas: 1 }));
    const run = await start({ NATS_STREAM: 'LOGX' });
    // Before: exit 6 "JetStream stream LOGX at … is unavailable: subjects overlap with an existing stream".
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'configuration error: NATS_STREAM: stream LOGX cannot be made: its subjects LOGX.> overlap those of stream ' +
        'CATCHER; choose another NATS_STREAM, or change that stream',
    );
    expect(await manage((jsm) => jsm.streams.find('LOGX.event'))).toBe('CATCHER');
  });

  it("refuses to lower an existing stream's limits (the stream would delete events on every node), leaving it as it was", async () => {
    await manage((jsm) =>
      jsm.streams.add({ name: 'KEPT', subjects: ['KEPT.>'], num_replicas: 1, max_age: nanos(3_600_000) }),
    );
    const bytes = await start({ NATS_STREAM: 'KEPT', NATS_MAX_BYTES: '2000000', NATS_MAX_AGE_MS: '3600000' });
    expect(bytes.code).toBe(2);
    expect(bytes.stderr.trim()).toBe(
      "configuration error: NATS_MAX_BYTES: would lower stream KEPT's max_bytes from none to 2000000 bytes, and the " +
        'stream would delete its oldest events on every node; a node never lowers a limit: to lower it, run ' +
        '`nats stream edit KEPT --max-bytes 2000000` first, then give every node the same',
    );
    const age = await start({ NATS_STREAM: 'KEPT', NATS_MAX_AGE_MS: '600000' });
    expect(age.code).toBe(2);
    expect(age.stderr.trim()).toMatch(
      /^configuration error: NATS_MAX_AGE_MS: would lower stream KEPT's max_age from 3600000 ms to 600000 ms/,
    );
    const { config } = await manage((jsm) => jsm.streams.info('KEPT'));
    expect([config.max_bytes, config.max_age]).toEqual([-1, nanos(3_600_000)]);
  });

  it("refuses to lower an existing stream's duplicate window for every node, naming old and new, leaving it as it was", async () => {
    await manage((jsm) =>
      jsm.streams.add({ name: 'DEDUPE', subjects: ['DEDUPE.>'], num_replicas: 1, duplicate_window: nanos(600_000) }),
    );
    const run = await start({ NATS_STREAM: 'DEDUPE', NATS_DUPLICATE_WINDOW_MS: '1000' });
    // Before: started, and set the window to 1 s for the whole cluster with a line naming only the new value.
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "configuration error: NATS_DUPLICATE_WINDOW_MS: would lower stream DEDUPE's duplicate window from 600000 ms to " +
        '1000 ms for every node (re-sent commits older than that would no longer be deduped by the stream); a node ' +
        'never lowers it: to lower it, run `nats stream edit DEDUPE --dupe-window 1000ms` first, then give every node the same',
    );
    expect((await manage((jsm) => jsm.streams.info('DEDUPE'))).config.duplicate_window).toBe(nanos(600_000));
  });

  it("sets an existing stream's duplicate window and limits from the settings, and says what else it found", async () => {
    const version = await serverVersion(nats.url);
    await manage((jsm) =>
      jsm.streams.add({
        name: 'SHORT',
        subjects: ['SHORT.>'],
        num_replicas: 1,
        duplicate_window: nanos(2_000),
        deny_purge: true,
        // An operator's own limits, which this node's settings (none) replace, saying so.
        max_bytes: 50_000_000,
        max_age: nanos(3_600_000),
      }),
    );
    const nodes = new ClusterNodes(nats, 'SHORT', 1);
    try {
      const node = await nodes.start('a', { NATS_REPLICAS: '3' });
      const { config } = await manage((jsm) => jsm.streams.info('SHORT'));
      expect(config.duplicate_window).toBe(nanos(600_000));
      expect(config.num_replicas).toBe(1);
      expect([config.max_bytes, config.max_age]).toEqual([-1, 0]);
      // Hint: the log is written asynchronously, so the notices may follow the first answer.
      const output = await waitFor(() => (node.output().includes('denies purges') ? node.output() : null), 'notices');
      expect(output).toContain(
        "stream SHORT's duplicate window set from 2000 ms to 600000 ms (NATS_DUPLICATE_WINDOW_MS); give every node the same",
      );
      expect(output).toContain(
        "stream SHORT's limits set from this node's settings: max_age 3600000 ms → none (NATS_MAX_AGE_MS), " +
          'max_bytes 50000000 bytes → none (NATS_MAX_BYTES); give every node the same',
      );
      expect(output).toContain('stream SHORT keeps 1 copy, fewer than NATS_REPLICAS=3');
      expect(output).toContain('stream SHORT denies purges: DELETE /events will be refused (409)');
      // Hint: CI's nats-server (Debian's 2.9) gets the warning; a 2.11+ server must not.
      const warning = serverVersionWarning(version);
      if (warning === null) expect(output).not.toContain('older than 2.11');
      else expect(output).toContain(warning);
    } finally {
      await nodes.stop();
    }
  });
});

describe('cluster mode: replicas checked against a cluster', () => {
  let nats: NatsCluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cluster-settings-'));
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses more replicas than the cluster has servers at once, naming NATS_REPLICAS and the count', async () => {
    nats = await NatsCluster.start(3);
    const run = await runMain({
      LOG_BACKEND: 'jetstream',
      NATS_URL: nats.url,
      NATS_REPLICAS: '5',
      DATABASE_PATH: join(dir, 'events.db'),
      PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'configuration error: NATS_REPLICAS: 5 copies cannot be placed on a cluster of 3 server(s); set it to at most 3',
    );
  });
});
