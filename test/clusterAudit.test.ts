import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';
import { parsePrometheusText, sampleValue } from './support/promText.js';

type Readiness = { ready: boolean; reason?: string };

/** The audit's gauges on `node`'s /metrics. */
async function auditGauges(node: ChildServer) {
  const families = parsePrometheusText(await (await fetch(`${node.base}/metrics`)).text());
  return {
    divergent: sampleValue(families, 'pipeline_replica_divergent'),
    audited: sampleValue(families, 'pipeline_replica_audited_offset'),
  };
}

// Real processes: one JetStream server, a node whose replica file is altered while it is down.
describe('cluster mode: the replica audit', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  const audit = { NATS_AUDIT_PER_SECOND: '2000' };

  beforeAll(async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'EVENTS', 1);
  }, 60_000);
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it("finds a replica event that differs from the stream leader's, and /readiness and /metrics name it", async () => {
    let node = await nodes.start('a', audit);
    const batch = Array.from({ length: 300 }, (_, i) => eventBody({ session_id: `s-${i % 7}`, payload: { i } }));
    expect((await postEvents(node.base, batch)).status).toBe(201);
    // The untouched replica: a whole pass over its 300 offsets finds nothing.
    await waitFor(async () => (await auditGauges(node)).audited === 300, 'a pass over all 300 offsets', 20_000, 100);
    expect(await auditGauges(node)).toEqual({ divergent: 0, audited: 300 });
    expect((await getJson<Readiness>(`${node.base}/readiness`)).status).toBe(200);

    // Hint: what a replica that applied another server's copy of offset 150 holds (a NULL checksum: not a damaged row).
    await nodes.kill('a');
    const db = new Database(nodes.databasePath('a'));
    db.prepare(`UPDATE events SET payload = '{"i":"other"}', crc = NULL WHERE offset = 150`).run();
    db.close();

    node = await nodes.start('a', audit);
    const unready = await waitFor(
      async () => {
        const answer = await getJson<Readiness>(`${node.base}/readiness`);
        return answer.status === 503 ? answer.body : null;
      },
      'readiness to name the difference',
      20_000,
      100,
    );
    expect(unready.reason).toMatch(
      /^this node's replica differs from stream EVENTS at offset 150 as its leader serves it \(event "[^"]+" differs in its payload\): .*delete its DATABASE_PATH file/,
    );
    expect((await auditGauges(node)).divergent).toBe(1);
    // Hint: the log is written asynchronously, so the line may follow the readiness answer.
    await waitFor(() => node.output().includes('differs from stream EVENTS at offset 150'), 'the log line');
    // Reads are still served (an operator may compare), and the difference is where the audit said.
    const record = await getJson<{ offset: number; payload: unknown }[]>(
      `${node.base}/events?order=asc&after_offset=149&limit=1`,
    );
    expect(record.body).toMatchObject([{ offset: 150, payload: { i: 'other' } }]);

    // Rebuilt from the stream (the file deleted, as the reason says), the node is ready and audits clean.
    await nodes.kill('a');
    nodes.removeReplica('a');
    node = await nodes.start('a', audit);
    await waitFor(
      async () => (await auditGauges(node)).audited === 300,
      'a pass over the rebuilt replica',
      20_000,
      100,
    );
    expect(await auditGauges(node)).toEqual({ divergent: 0, audited: 300 });
    await waitFor(async () => (await getJson(`${node.base}/readiness`)).status === 200, 'ready once rebuilt');
  }, 90_000);
});
