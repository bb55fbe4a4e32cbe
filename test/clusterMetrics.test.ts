import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { eventBody, getJson, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { parsePrometheusText, sampleValue } from './support/promText.js';

/** The cluster gauges of `node`'s /metrics, read with the strict exposition parser. */
async function clusterGauges(node: ChildServer) {
  const response = await fetch(`${node.base}/metrics`);
  expect(response.status).toBe(200);
  const families = parsePrometheusText(await response.text());
  const connected = families.get('pipeline_nats_connected')?.samples ?? [];
  expect(connected.length).toBeLessThanOrEqual(1);
  return {
    connected: connected[0]?.value,
    server: connected[0]?.labels.server,
    usable: sampleValue(families, 'pipeline_nats_stream_usable'),
    lag: sampleValue(families, 'pipeline_replica_lag_offsets'),
  };
}

// Real processes: one JetStream server and two nodes on it, each with its own replica.
describe('cluster mode: /metrics shows the NATS connection, the stream and the replica lag', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  let a: ChildServer;
  let b: ChildServer;
  let server: string;

  beforeAll(async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'EVENTS', 1);
    a = await nodes.start('a');
    b = await nodes.start('b');
    server = `127.0.0.1:${nats.nodes[0]!.clientPort}`;
  }, 60_000);
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it("counts a node's replica lag while it cannot apply what the stream holds, and 0 once it caught up", async () => {
    expect(await clusterGauges(a)).toEqual({ connected: 1, server, usable: 1, lag: 0 });
    expect(await clusterGauges(b)).toEqual({ connected: 1, server, usable: 1, lag: 0 });
    // Hint: another connection holding SQLite's write lock, as a stalled disk would: B applies nothing meanwhile (an
    // attempt waits out the busy timeout, fails and is made again) while it keeps asking for the stream's state. Taken
    // before B has anything to write, so only its applying meets the lock.
    const holder = new Database(nodes.databasePath('b'));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const batch = Array.from({ length: 5 }, () => eventBody());
      expect((await postEvents(a.base, batch)).status).toBe(201);
      const behind = await waitFor(
        async () => {
          const gauges = await clusterGauges(b);
          return gauges.lag === 5 ? gauges : null;
        },
        "B's lag to count the 5 events it has not applied",
        30_000,
        100,
      );
      expect(behind).toEqual({ connected: 1, server, usable: 1, lag: 5 });
      expect((await stats(b.base)).head_offset).toBe(0);
      expect((await clusterGauges(a)).lag).toBe(0);
      // A replica applying nothing while behind is stale: B says so after STALLED_MS (5 s); A, current, stays ready.
      const stale = await waitFor(
        async () => {
          const answer = await getJson<{ reason?: string }>(`${b.base}/readiness`);
          return answer.status === 503 ? answer.body.reason : null;
        },
        "B's readiness to say its replica is stale",
        20_000,
        200,
      );
      expect(stale).toMatch(/^this node's replica has applied nothing for \d+ s while 5 offsets behind the stream/);
      expect((await getJson(`${a.base}/readiness`)).status).toBe(200);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await waitFor(async () => (await clusterGauges(b)).lag === 0, 'B caught up', 30_000, 100);
    expect((await stats(b.base)).head_offset).toBe(5);
    await waitFor(async () => (await getJson(`${b.base}/readiness`)).status === 200, 'B ready once caught up');
  }, 90_000);

  it('says 0 connected, naming the server lost, while NATS is down, and the stream unusable as /readiness does', async () => {
    expect(await clusterGauges(a)).toEqual({ connected: 1, server, usable: 1, lag: 0 });
    await nats.kill(0);
    await waitFor(async () => (await clusterGauges(a)).connected === 0, 'A to count the connection lost');
    expect((await clusterGauges(a)).server).toBe(server);
    // Hint: the stream's state goes unanswered for UNAVAILABLE_MS (5 s) before /readiness names the stream too.
    await waitFor(async () => (await clusterGauges(a)).usable === 0, 'the stream unusable', 20_000, 200);
    const readiness = await getJson<{ ready: boolean; reason: string }>(`${a.base}/readiness`);
    expect(readiness.status).toBe(503);

    await nats.restart(0);
    await waitFor(
      async () => {
        const gauges = await clusterGauges(a);
        return gauges.connected === 1 && gauges.usable === 1;
      },
      'A connected with the stream usable again',
      30_000,
      200,
    );
    expect(await clusterGauges(a)).toEqual({ connected: 1, server, usable: 1, lag: 0 });
    expect((await postEvents(a.base, eventBody())).status).toBe(201);
    await waitFor(async () => (await clusterGauges(b)).lag === 0 && (await stats(b.base)).head_offset === 6, 'B at 6');
  }, 90_000);
});
