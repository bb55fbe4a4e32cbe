import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster, withManager } from './support/natsCluster.js';
import { allEvents, eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';
import { parsePrometheusText, sampleValue } from './support/promText.js';

type Readiness = { ready: boolean; reason?: string };

const AHEAD =
  /^this node's replica holds offsets up to 40 but stream EVENTS ends at sequence 20: .*offsets 21-40 here are in no stream.*delete its DATABASE_PATH file/;

/** `node`'s /readiness once it answers 503 saying the replica is ahead, confirmed (not a reconnect under way). */
function unready(node: ChildServer, what: string, reasons: string[] = []): Promise<Readiness> {
  return waitFor(
    async () => {
      const answer = await getJson<Readiness>(`${node.base}/readiness`);
      if (answer.body.reason !== undefined) reasons.push(answer.body.reason);
      return answer.status === 503 && answer.body.reason?.includes('holds offsets') ? answer.body : null;
    },
    what,
    20_000,
    100,
  );
}

const batch = (tag: string) => Array.from({ length: 20 }, (_, i) => eventBody({ id: `${tag}-${i}`, payload: { i } }));

// Real processes: one JetStream server whose store is put back to an older copy under a running node.
describe('cluster mode: a replica ahead of its stream', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  const lastSeq = () => withManager(nats.url, async (jsm) => (await jsm.streams.info('EVENTS')).state.last_seq);
  const divergent = async (node: ChildServer) =>
    sampleValue(parsePrometheusText(await (await fetch(`${node.base}/metrics`)).text()), 'pipeline_replica_divergent');

  beforeAll(async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'EVENTS', 1);
  }, 60_000);
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it('refuses publishes and is unready when the stream lost a tail its replica holds, also after a restart', async () => {
    let node = await nodes.start('a', { NATS_AUDIT_PER_SECOND: '2000' });
    expect((await postEvents(node.base, batch('x'))).status).toBe(201);
    // Hint: the store as a backup (or the last fsync before a crash) kept it: 20 messages.
    const store = join(nats.dir, 'n1');
    const saved = join(nats.dir, 'n1-saved');
    await nats.kill(0);
    cpSync(store, saved, { recursive: true });
    await nats.restart(0);
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'ready again', 20_000, 100);
    expect((await postEvents(node.base, batch('y'))).status).toBe(201);
    expect((await allEvents(node.base)).at(-1)?.offset).toBe(40);

    await nats.kill(0);
    rmSync(store, { recursive: true, force: true });
    cpSync(saved, store, { recursive: true });
    await nats.restart(0);
    expect(await lastSeq()).toBe(20);

    expect((await unready(node, 'readiness to name the lost tail')).reason).toMatch(AHEAD);
    expect(await divergent(node)).toBe(1);
    // Refused at once, nothing published: before, it took stream sequence 21 (y-0's offset here), no replica
    // applied it and the producer waited 10 s for a 503 "may be in the log".
    const started = Date.now();
    const refused = await postEvents(node.base, eventBody({ id: 'z-0' }));
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain('holds offsets up to 40 but stream EVENTS ends at sequence 20');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await lastSeq()).toBe(20);
    // Reads still serve the events the stream lost (the reason says where), once the wait settled it the log says so.
    expect((await allEvents(node.base, '', 20)).map((r) => r.id)).toEqual(batch('y').map((e) => e.id));
    await waitFor(() => node.output().includes('holds offsets up to 40 but stream EVENTS'), 'the log line');

    // Restarted on that replica, the node holds a publish from its first answer on (nothing sent), and refuses it
    // once the stream stayed below for AHEAD_MS; then it is unready for good.
    await nodes.kill('a');
    node = await nodes.start('a');
    const held = await postEvents(node.base, eventBody({ id: 'z-0' }));
    expect(held.status).toBe(503);
    expect(JSON.stringify(held.body)).toContain('holds offsets up to 40 but stream EVENTS ends at sequence 20');
    expect(await lastSeq()).toBe(20);
    expect((await unready(node, 'the restarted node to confirm it')).reason).toMatch(AHEAD);

    // Rebuilt as the reason says, it is the stream's again and takes publishes.
    await nodes.kill('a');
    nodes.removeReplica('a');
    node = await nodes.start('a');
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'ready once rebuilt');
    expect(await divergent(node)).toBe(0);
    expect((await postEvents(node.base, eventBody({ id: 'z-0' }))).body).toMatchObject({ offset: 21 });
  }, 120_000);
});
