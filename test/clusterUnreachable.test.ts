import { type AddressInfo, createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain, stablePort } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { hangProcess } from './support/hangProcess.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';

describe('cluster mode when NATS is unreachable', () => {
  let nats: NatsCluster | undefined;
  let nodes: ClusterNodes | undefined;
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it('refuses to start with exit 6 and one line naming the servers', async () => {
    const port = await stablePort();
    const run = await runMain({
      LOG_BACKEND: 'jetstream',
      NATS_URL: `nats://127.0.0.1:${port}`,
      DATABASE_PATH: `/tmp/never-created-${port}/events.db`,
      PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(
      new RegExp(`^refusing to start: cannot reach the NATS cluster at nats://127.0.0.1:${port}`),
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says an entry of NATS_URL that accepts connections but never greets may not be a NATS server', async () => {
    // An HTTP server waits for a request, as the pipeline's own port did in a probe: the client only said "timeout".
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const run = await runMain({
        LOG_BACKEND: 'jetstream',
        NATS_URL: `nats://127.0.0.1:${port}`,
        DATABASE_PATH: `/tmp/never-created-${port}/events.db`,
        PORT: '0',
        HOST: '127.0.0.1',
      });
      expect(run.code).toBe(6);
      expect(run.stderr.trim()).toBe(
        `refusing to start: cannot reach the NATS cluster at nats://127.0.0.1:${port}: timeout (NATS_URL entry ` +
          `nats://127.0.0.1:${port} accepted a connection but sent no NATS greeting within 1000 ms: it may not be a NATS server)`,
      );
    } finally {
      silent.close();
    }
  });

  it('answers publishes with the retryable error and keeps serving reads while NATS is down, then recovers', async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'EVENTS', 1);
    // Hint: the 503 comes once the publish deadline passes; 2 s instead of the default 10 s proves the same answer.
    const node = await nodes.start('a', { NATS_PUBLISH_TIMEOUT_MS: '2000' });
    const first = await postEvents(node.base, [eventBody(), eventBody()]);
    expect(first.status).toBe(201);
    await nats.kill(0);
    const refused = await fetch(`${node.base}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(eventBody({ id: 'during-outage' })),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await allEvents(node.base)).map((r) => r.offset)).toEqual([1, 2]);
    const readiness = await getJson<{ ready: boolean; reason: string }>(`${node.base}/readiness`);
    expect(readiness).toMatchObject({ status: 503, body: { ready: false } });
    expect(readiness.body.reason).toMatch(/NATS cluster is unreachable/);
    await nats.restart(0);
    // The producer retries with the same id once NATS is back: committed once.
    await waitFor(
      async () => (await postEvents(node.base, eventBody({ id: 'during-outage' }))).status === 201,
      'recovery',
      20_000,
      200,
    );
    expect((await allEvents(node.base)).map((r) => r.id).slice(2)).toEqual(['during-outage']);
  }, 60_000);

  it('refuses publishes at once, nothing committed, while it knows NATS is down, and says when NATS is lost and back', async () => {
    const cluster = await NatsCluster.start(1);
    const own = new ClusterNodes(cluster, 'EVENTS', 1);
    try {
      // Hint: the default 10 s publish deadline, so a refusal that waited for it would show.
      const node = await own.start('a', { LOG_LEVEL: 'info' });
      expect((await postEvents(node.base, eventBody({ id: 'before' }))).status).toBe(201);
      await cluster.kill(0);
      await waitFor(
        async () =>
          /unreachable/.test((await getJson<{ reason?: string }>(`${node.base}/readiness`)).body.reason ?? ''),
        'readiness to say NATS is unreachable',
      );
      const server = `127.0.0.1:${cluster.nodes[0]!.clientPort}`;
      // The start line names the stream, the servers and the one this node is on.
      const listening = await waitFor(
        () =>
          node
            .output()
            .split('\n')
            .find((line) => line.includes('event pipeline listening')),
        'the listening line',
      );
      expect(JSON.parse(listening)).toMatchObject({
        nats_servers: `nats://${server}`,
        nats_stream: 'EVENTS',
        nats_replicas: 1,
        nats_connected_to: server,
      });
      // Hint: the log is written asynchronously, so the line may follow the readiness answer.
      await waitFor(() => node.output().includes(`NATS connection to ${server} lost`), 'the connection-lost line');
      const startedAt = Date.now();
      const refused = await postEvents(node.base, eventBody({ id: 'refused' }));
      const tookMs = Date.now() - startedAt;
      expect(refused.status).toBe(503);
      expect(JSON.stringify(refused.body)).toMatch(
        /not committed: the NATS cluster is unreachable \(disconnected from /,
      );
      expect(tookMs).toBeLessThan(1_000);
      await cluster.restart(0);
      await waitFor(
        async () => (await getJson(`${node.base}/readiness`)).status === 200,
        'readiness once NATS is back',
        20_000,
        100,
      );
      const restored = new RegExp(`NATS connection restored: connected to ${server} after \\d`);
      await waitFor(() => restored.test(node.output()), 'the connection-restored line');
      expect((await postEvents(node.base, eventBody({ id: 'refused' }))).status).toBe(201);
      // The refused attempt stored nothing: the retry is the one record after the first.
      expect((await allEvents(node.base)).map((r) => r.id)).toEqual(['before', 'refused']);
      console.log(`publish while NATS is down: 503 after ${tookMs} ms`);
    } finally {
      await own.stop();
      await cluster.stop();
    }
  }, 60_000);
  it('says why the stream did not answer whether a resent producer id is in the log: one warning, and the cause in the 503', async () => {
    const cluster = await NatsCluster.start(1);
    const own = new ClusterNodes(cluster, 'EVENTS', 1);
    const server = cluster.nodes[0]!.proc!;
    try {
      const node = await own.start('a');
      const event = eventBody({ id: 'resent' });
      expect((await postEvents(node.base, event)).status).toBe(201);
      // A hung server (SIGSTOP, by its PID): the connection counts as up until 2 pings go unanswered (about 4-6 s),
      // while the check of the resent id, a stream info request with a 1 s timeout, gets no answer.
      await hangProcess(server);
      const refused = await postEvents(node.base, event);
      server.kill('SIGCONT');
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({
        detail:
          'storage unavailable; not committed, retry (the stream did not answer whether a producer id is still in the log: timeout)',
      });
      const told = (line: string) => line.includes('still in the log (TimeoutError: timeout)');
      await waitFor(() => node.output().split('\n').some(told), 'the warning naming the cause');
      // One line, a warning without a stack: a timeout is the cluster's state, not a bug.
      const lines = node.output().split('\n').filter(told);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toEqual(
        expect.objectContaining({
          level: 40,
          msg:
            'the stream did not answer whether a producer id is still in the log (TimeoutError: timeout); the commit ' +
            'was refused with nothing sent, retry',
        }),
      );
      expect(lines[0]).not.toMatch(/"err"|stack/);
      // The producer's retry, once the server answers again, gets the original.
      await waitFor(async () => (await postEvents(node.base, event)).status === 200, 'the retry answered', 20_000, 200);
      expect((await allEvents(node.base)).map((r) => r.id)).toEqual(['resent']);
    } finally {
      server.kill('SIGCONT');
      await own.stop();
      await cluster.stop();
    }
  }, 60_000);
});
