import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster, withManager } from './support/natsCluster.js';
import { allEvents, eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';

/**
 * Which log a stream is: its epoch changes when the stream is made again, even from its exported config, and stays
 * across restarts otherwise; and a missing NATS_STREAM is not made over a replica holding another stream's records.
 */
describe('cluster mode: the identity of the stream', () => {
  let nats: NatsCluster;
  const made: ClusterNodes[] = [];
  const nodesOn = (stream: string) => {
    const nodes = new ClusterNodes(nats, stream, 1);
    made.push(nodes);
    return nodes;
  };
  beforeAll(async () => {
    nats = await NatsCluster.start(1);
  });
  afterAll(async () => {
    // Hint: every test's nodes, so a failed test leaves no node running.
    for (const nodes of made) await nodes.stop();
    await nats?.stop();
  });

  const manage = <T>(use: (jsm: JetStreamManager) => Promise<T>) => withManager(nats.url, use);
  const epochOf = async (base: string) => (await getJson<{ epoch: string }>(`${base}/health`)).body.epoch;
  const offsets = async (base: string) => (await allEvents(base)).map((record) => record.offset);

  it('gives a stream recreated from its exported config a new epoch, and keeps the epoch of an unchanged one', async () => {
    const nodes = nodesOn('EPOCHS');
    let node = await nodes.start('e');
    expect((await postEvents(node.base, [eventBody(), eventBody()])).status).toBe(201);
    const first = await epochOf(node.base);
    await nodes.kill('e');
    node = await nodes.start('e');
    expect(await epochOf(node.base)).toBe(first);
    expect(await offsets(node.base)).toEqual([1, 2]);
    await nodes.kill('e');

    const exported = (await manage((jsm) => jsm.streams.info('EPOCHS'))).config;
    await manage(async (jsm) => {
      await jsm.streams.delete('EPOCHS');
      await jsm.streams.add(exported);
    });
    node = await nodes.start('e');
    expect(await epochOf(node.base)).not.toBe(first);
    // Hint: the log is written asynchronously, so the notice may follow the first answer.
    await waitFor(() => node.output().includes(`belonged to epoch ${first}; rebuilding it`), 'the rebuild notice');
    expect(await offsets(node.base)).toEqual([]);
    // The rebuilt node is ready and stays so: the lock sweep (every second) once took its new WAL for a replaced one.
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'ready after the rebuild');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await getJson(`${node.base}/readiness`)).body).toMatchObject({ ready: true });
    expect(node.output()).not.toContain('was removed or replaced');
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    await nodes.kill('e');
    await nodes.stop();
  }, 60_000);

  it('keeps the epoch a stream made by an earlier version kept in its description', async () => {
    const nodes = nodesOn('LEGACY');
    const description = 'event-pipeline log, epoch legacy0';
    await manage((jsm) =>
      jsm.streams.add({ name: 'LEGACY', subjects: ['LEGACY.>'], description, duplicate_window: nanos(600_000) }),
    );
    let node = await nodes.start('l');
    expect(await epochOf(node.base)).toBe('legacy0');
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    await nodes.kill('l');
    node = await nodes.start('l');
    expect(await epochOf(node.base)).toBe('legacy0');
    expect(await offsets(node.base)).toEqual([1]);
    expect((await manage((jsm) => jsm.streams.info('LEGACY'))).config.description).toBe(description);
    await nodes.stop();
  }, 60_000);

  it('refuses to make a missing NATS_STREAM over a replica of another stream, unless NATS_ALLOW_NEW_STREAM', async () => {
    const nodes = nodesOn('ORDERS');
    const node = await nodes.start('o');
    expect((await postEvents(node.base, [eventBody(), eventBody(), eventBody()])).status).toBe(201);
    await nodes.kill('o');
    const path = nodes.databasePath('o');
    const env = { LOG_BACKEND: 'jetstream', NATS_URL: nats.url, NATS_REPLICAS: '1', DATABASE_PATH: path, PORT: '0' };

    const typo = await runMain({ ...env, NATS_STREAM: 'ORDRES' });
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe(
      `configuration error: NATS_STREAM: stream ORDRES does not exist, and DATABASE_PATH ${path} is a replica of ` +
        'stream ORDERS with records up to offset 3: check NATS_STREAM, or set NATS_ALLOW_NEW_STREAM=true to create ' +
        'ORDRES and discard that replica',
    );
    expect(await manage((jsm) => jsm.streams.names().next())).not.toContain('ORDRES');

    // A marker written before it named the stream: the epoch (random then) cannot say which, so it is refused too.
    const marker = `${path}.jetstream.json`;
    const saved = readFileSync(marker, 'utf8');
    writeFileSync(marker, JSON.stringify({ epoch: 'k3x9legacyepoch0', layout: 'seq' }));
    const unnamed = await runMain({ ...env, NATS_STREAM: 'ORDRES' });
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain(
      'is a replica of another stream (epoch k3x9legacyepoch0) with records up to offset 3',
    );
    writeFileSync(marker, saved);

    // The replica is as it was, and the stream it belongs to opens it as before.
    let again = await nodes.start('o');
    expect(await offsets(again.base)).toEqual([1, 2, 3]);
    await nodes.kill('o');

    again = await nodes.start('o', { NATS_STREAM: 'ORDRES', NATS_ALLOW_NEW_STREAM: 'true' });
    expect(await offsets(again.base)).toEqual([]);
    await waitFor(() => again.output().includes('rebuilding it from the stream (epoch '), 'the rebuild notice');
    expect(existsSync(marker)).toBe(true);
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ stream: 'ORDRES', layout: 'seq' });
    expect((await postEvents(again.base, eventBody())).status).toBe(201);
    await nodes.kill('o');

    // A stream of the same name deleted since is made again as a new log, as before: no opt-in needed.
    await manage((jsm) => jsm.streams.delete('ORDRES'));
    again = await nodes.start('o', { NATS_STREAM: 'ORDRES' });
    expect(await offsets(again.base)).toEqual([]);
    await nodes.stop();
  }, 60_000);
  it('says once that a stream deleted under a running node is gone, and refuses publishes naming it, until it is back', async () => {
    const nodes = nodesOn('GONE');
    const node = await nodes.start('g', { NATS_PUBLISH_TIMEOUT_MS: '2000' });
    expect((await postEvents(node.base, [eventBody(), eventBody()])).status).toBe(201);
    const exported = (await manage((jsm) => jsm.streams.info('GONE'))).config;
    await manage((jsm) => jsm.streams.delete('GONE'));

    const gone = 'stream GONE no longer exists (deleted?): this node refuses publishes and reads serve what it applied';
    const ready = await waitFor(async () => {
      const answer = await getJson<{ ready: boolean; reason?: string }>(`${node.base}/readiness`);
      return answer.status === 503 && answer.body.reason?.startsWith(gone) ? answer.body : null;
    }, 'readiness to name the missing stream');
    expect(ready.reason).toContain('NATS_ALLOW_NEW_STREAM');
    const refused = await postEvents(node.base, eventBody());
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain(gone);
    expect(await offsets(node.base)).toEqual([1, 2]);
    // Hint: the log is written asynchronously (and the notice comes with the next check of the stream, each second).
    await waitFor(() => node.output().includes(gone), 'the notice that the stream is gone');
    const lines = node.output().split('\n');
    // One warning, and no error line for each refused publish.
    expect(lines.filter((line) => line.includes(gone))).toHaveLength(1);
    expect(node.output()).not.toContain('group commit failed');
    // Before: "replica feed: stream not found; recreating the consumer" four times a second for as long as it lasted.
    expect(lines.filter((line) => line.includes('stream not found')).length).toBeLessThanOrEqual(1);

    // Made again from its config, it is a new log (a new epoch): the node says so and still refuses, as before.
    await manage((jsm) => jsm.streams.add(exported));
    await waitFor(() => node.output().includes('stream GONE was deleted and made again'), 'the notice of a new log');
    expect(node.output()).not.toContain('answers again');
    const still = await postEvents(node.base, eventBody());
    expect(still.status).toBe(503);
    expect(JSON.stringify(still.body)).toContain('restart it to rebuild its replica');
    await nodes.stop();
  }, 60_000);
  it('says a stream whose description was edited was not deleted, refuses publishes naming how to put it back', async () => {
    const nodes = nodesOn('NOTED');
    const node = await nodes.start('n', { NATS_PUBLISH_TIMEOUT_MS: '2000' });
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    const epoch = await epochOf(node.base);
    const { config, created } = await manage((jsm) => jsm.streams.info('NOTED'));
    const note = config.description ?? '';
    // What `nats stream edit NOTED --description "event-pipeline log (prod)"` does: the same config, a new description.
    await manage((jsm) => jsm.streams.update('NOTED', { ...config, description: 'event-pipeline log (prod)' }));
    const edited =
      `stream NOTED's description, which holds the log's epoch, was changed (${JSON.stringify(note)} → "event-pipeline ` +
      'log (prod)"); the stream was not deleted (same creation time), but a node started now would take it for a new ' +
      `log (epoch NOTED-${created.replace(/[^0-9]/g, '')}) and rebuild its replica: this node refuses publishes until ` +
      `it is put back with \`nats stream edit NOTED --description ${JSON.stringify(note)}\` (or restart every node to ` +
      'make it a new log on purpose)';
    // Before: 503 "stream NOTED was deleted and made again (epoch … → …)", and only a restart (a rebuild) ended it.
    await waitFor(async () => {
      const answer = await getJson<{ reason?: string }>(`${node.base}/readiness`);
      return answer.status === 503 && answer.body.reason === edited;
    }, 'readiness to name the edited description');
    expect(await postEvents(node.base, eventBody())).toEqual({
      status: 503,
      body: { detail: `storage unavailable; not committed: ${edited}` },
    });
    expect(node.output()).not.toContain('deleted and made again');

    // Put back as the line says: ready again under the same epoch, without a restart.
    await manage((jsm) => jsm.streams.update('NOTED', { ...config, description: note }));
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'readiness again');
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    expect(await epochOf(node.base)).toBe(epoch);
    expect(await offsets(node.base)).toEqual([1, 2]);
    await waitFor(() => node.output().includes("stream NOTED's description names this log's epoch again"), 'the line');

    // Left edited, the description is the epoch a starting node reads (the README's way to make a copy a new log).
    await manage((jsm) => jsm.streams.update('NOTED', { ...config, description: 'event-pipeline log (prod)' }));
    await nodes.kill('n');
    const restarted = await nodes.start('n');
    expect(await epochOf(restarted.base)).toBe(`NOTED-${created.replace(/[^0-9]/g, '')}`);
    await nodes.stop();
  }, 60_000);

  it('refuses publishes at once while its stream stops acknowledging them (no_ack), and takes them once it is back', async () => {
    const nodes = nodesOn('MUTE');
    const node = await nodes.start('m', { NATS_PUBLISH_TIMEOUT_MS: '5000' });
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    const { config } = await manage((jsm) => jsm.streams.info('MUTE'));
    await manage((jsm) => jsm.streams.update('MUTE', { ...config, no_ack: true }));
    // Before: ready throughout, and every publish waited NATS_PUBLISH_TIMEOUT_MS for a 503 though its event was stored.
    await waitFor(async () => {
      const answer = await getJson<{ reason?: string }>(`${node.base}/readiness`);
      return (
        answer.status === 503 &&
        /^stream MUTE was changed so that it cannot hold the log \(.*\(no_ack\)/.test(answer.body.reason ?? '')
      );
    }, 'readiness to name no_ack');
    const began = Date.now();
    expect((await postEvents(node.base, eventBody())).status).toBe(503);
    expect(Date.now() - began).toBeLessThan(1_000);
    await manage((jsm) => jsm.streams.update('MUTE', { ...config, no_ack: false }));
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'readiness again');
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    expect(await offsets(node.base)).toEqual([1, 2]);
    await nodes.stop();
  }, 60_000);

  it('refuses publishes while its stream is changed so that it cannot hold the log, and takes them once it is back', async () => {
    const nodes = nodesOn('BENT');
    const node = await nodes.start('b', { NATS_PUBLISH_TIMEOUT_MS: '2000' });
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    const config = (await manage((jsm) => jsm.streams.info('BENT'))).config;
    await manage((jsm) => jsm.streams.update('BENT', { ...config, subjects: ['ELSEWHERE.>'] }));

    const bent =
      'stream BENT was changed so that it cannot hold the log (it does not capture subject BENT.event (its subjects: ' +
      'ELSEWHERE.>)): this node refuses publishes until it is changed back';
    await waitFor(async () => {
      const answer = await getJson<{ reason?: string }>(`${node.base}/readiness`);
      return answer.status === 503 && answer.body.reason === bent;
    }, 'readiness to name the change');
    const refused = await postEvents(node.base, eventBody());
    expect(refused).toEqual({ status: 503, body: { detail: `storage unavailable; not committed: ${bent}` } });

    await manage((jsm) => jsm.streams.update('BENT', config));
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'readiness again');
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    expect(await offsets(node.base)).toEqual([1, 2]);
    await waitFor(() => node.output().includes('stream BENT can hold the log again'), 'the notice that it is back');
    await nodes.stop();
  }, 60_000);
});
