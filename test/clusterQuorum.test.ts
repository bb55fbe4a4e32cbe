import { afterAll, describe, expect, it } from 'vitest';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';

type Readiness = { ready: boolean; reason?: string };
const QUORUM_LOST = /stream EVENTS has no leader with a quorum|JetStream does not answer about stream EVENTS/;

/**
 * A 3-server cluster losing its quorum (2 of 3 servers killed) under an idle node: /readiness must say so by itself,
 * without a publish failing first, and be ready again once the stream can take publishes again.
 */
describe('cluster mode: readiness without quorum', () => {
  let nats: NatsCluster | undefined;
  let nodes: ClusterNodes | undefined;
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it('answers 503 naming the lost quorum within seconds of it, with no publish, and 200 once it is back', async () => {
    nats = await NatsCluster.start(3);
    nodes = new ClusterNodes(nats);
    const node = await nodes.start('a');
    expect((await postEvents(node.base, eventBody({ id: 'before' }))).status).toBe(201);
    expect((await getJson<Readiness>(`${node.base}/readiness`)).status).toBe(200);

    // Hint: the two servers that do not lead the stream: the survivor, its leader, keeps calling itself leader until
    // it sees it lost its quorum (the slowest case; a survivor that was a follower answers leaderless at once).
    const leader = await nats.leaderOf('EVENTS');
    const others = [0, 1, 2].filter((i) => i !== leader);
    for (const i of others) await nats.kill(i);
    const killedAt = Date.now();
    // Hint: followers unheard for 5 s (HEARD_NS), then 5 s more (UNAVAILABLE_MS), at a 1 s cadence; 20 s is the deadline.
    // Hint: a node that was on a killed server is first "unreachable" until it reconnects to the third one.
    const unready = await waitFor(
      async () => {
        const answer = await getJson<Readiness>(`${node.base}/readiness`);
        return answer.status === 503 && QUORUM_LOST.test(answer.body.reason ?? '') ? answer.body : null;
      },
      'readiness to say the stream has no quorum',
      20_000,
      100,
    );
    const seconds = (Date.now() - killedAt) / 1_000;
    expect(unready.reason).toMatch(/publishes cannot be acknowledged, reads are served \(for \d+ s\)$/);
    // It stays so: no 200 after a while without publishes (it used to come back after 30 s without failures).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await getJson<Readiness>(`${node.base}/readiness`)).status).toBe(503);
    const outage = node.output();
    expect(outage).toMatch(QUORUM_LOST);
    // The consumer is made again every 250 ms meanwhile; its failures are told once per reason, not each time.
    expect(outage.match(/recreating the consumer/g)?.length ?? 0).toBeLessThanOrEqual(3);

    for (const i of others) await nats.restart(i);
    await waitFor(
      async () => (await getJson<Readiness>(`${node.base}/readiness`)).status === 200,
      'readiness once the quorum is back',
      60_000,
      200,
    );
    // Ready means the stream takes publishes again.
    const after = await postEvents(node.base, eventBody({ id: 'after' }));
    expect(after.status, `${JSON.stringify(after.body)}\n${node.output().slice(-3_000)}`).toBe(201);
    // Hint: the log is written asynchronously, so the line may follow the readiness answer.
    await waitFor(() => node.output().includes('stream EVENTS answers with a leader again'), 'the recovery line');
    console.log(`quorum lost: readiness 503 after ${seconds.toFixed(1)} s`);
  }, 120_000);
});
