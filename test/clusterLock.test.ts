import { existsSync, rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, postEvents, waitFor } from './support/pipelineRest.js';

describe('the replica lock in cluster mode', () => {
  let nats: NatsCluster | undefined;
  let nodes: ClusterNodes | undefined;
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it('keeps a second node off a running node’s replica, also after its lock file was deleted', async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'EVENTS', 1);
    const path = nodes.databasePath('a');
    const holder = await nodes.start('a');
    const env = { LOG_BACKEND: 'jetstream', NATS_URL: nats.url, NATS_REPLICAS: '1', DATABASE_PATH: path, PORT: '0' };
    const second = await runMain(env);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`pid ${holder.proc.pid}`);
    // Before, the sweep did not take the lock again in cluster mode: a second node started on the same replica, both
    // applied the stream into it, and the first failed every apply after (UNIQUE constraint failed: events.offset).
    rmSync(`${path}.lock`);
    await waitFor(() => existsSync(`${path}.lock`), 'the lock file recreated');
    const third = await runMain(env);
    expect(third.code).toBe(5);
    expect(third.stderr).toContain(`pid ${holder.proc.pid}`);
    expect((await postEvents(holder.base, [eventBody(), eventBody()])).status).toBe(201);
    expect((await allEvents(holder.base)).map((r) => r.offset)).toEqual([1, 2]);
    expect((await fetch(`${holder.base}/readiness`)).status).toBe(200);
    // A node on the held path naming a new stream is refused before it asks the cluster anything: before, it exited 5
    // after creating the stream, and /jsz listed a stray empty STRAY.
    const stray = await runMain({ ...env, NATS_STREAM: 'STRAY', NATS_ALLOW_NEW_STREAM: 'true' });
    expect(stray.code).toBe(5);
    const nc = await connect({ servers: nats.url });
    try {
      const names: string[] = [];
      for await (const name of (await jetstreamManager(nc)).streams.names()) names.push(name);
      // The running node's stream and its purge marks (PurgeMarks), nothing of STRAY.
      expect(names.sort()).toEqual(['EVENTS', 'EVENTS-purges']);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
