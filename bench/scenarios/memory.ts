import { join } from 'node:path';
import { runPublisher, sleep, withUwsServer } from '../lib/loadRuns.js';
import { openFileLimit, rssBytes } from '../lib/procStats.js';
import type { Metric, Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess, type ServerStats } from '../lib/serverProcess.js';
import { SubscriberPools } from '../lib/subscriberPools.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { Subscription } from '../workers/subscriberPool.js';
import type { PublishResult } from '../workers/wsPublisher.js';

const FIRST = 500;
const KB = 1024;

/** Resident memory after the first subscribers and after all of them, and the cost of each one past the first. */
interface SubscriberRss {
  perConnection: number;
  rssFirst: number;
  rssTotal: number;
}

/** RSS per idle subscriber from two points (FIRST and `total` connected), so fixed costs cancel out. */

async function rssPerSubscriber(
  wsBase: string,
  pid: () => number,
  total: number,
  settleMs: number,
): Promise<SubscriberRss> {
  const pools = new SubscriberPools(`${wsBase}/ws/subscribe`, 2_500, false);
  const subscriptions = (from: number, to: number): Subscription[] => {
    const list: Subscription[] = [];
    for (let i = from; i < to; i++) list.push({ session_id: `idle_${i}`, batch: false });
    return list;
  };
  try {
    const first = await pools.add(subscriptions(0, FIRST), 60_000);
    if (first.failed > 0) throw new Error(`subscribers failed: ${first.errors.join('; ')}`);
    await sleep(settleMs);
    const rssFirst = rssBytes(pid());
    const rest = await pools.add(subscriptions(FIRST, total), 120_000);
    if (rest.failed > 0) throw new Error(`subscribers failed: ${rest.errors.join('; ')}`);
    await sleep(settleMs);
    const rssTotal = rssBytes(pid());
    return { perConnection: (rssTotal - rssFirst) / (total - FIRST), rssFirst, rssTotal };
  } finally {
    await pools.stop();
  }
}

/** Server memory: RSS per idle subscriber (vs raw uWS), and RSS with 100,000 distinct sessions touched. */
export const memory: Scenario = {
  name: 'memory',
  summary: 'RSS per idle subscriber, and RSS after touching 100,000 distinct sessions',
  run: (context) =>
    withTempDir('memory', async (dir): Promise<ScenarioOutcome> => {
      const notes: string[] = [];
      let subscribers = context.quick ? 1_500 : 10_000;
      const fdLimit = openFileLimit();
      if (subscribers + 256 > fdLimit) {
        subscribers = Math.max(FIRST * 2, fdLimit - 256);
        notes.push(`ulimit -n is ${fdLimit}: measured ${subscribers} subscribers`);
      }
      const settleMs = context.quick ? 500 : 1_500;
      const env = { MAX_SUBSCRIBERS: String(subscribers + 100), MAX_WS_CONNECTIONS_PER_IP: String(subscribers + 200) };
      const server = await ServerProcess.start({
        dir,
        label: 'memory-subscribers',
        profileDir: context.profileDir,
        env,
      });
      let ours: SubscriberRss;
      try {
        ours = await rssPerSubscriber(server.wsUrl, () => server.pid, subscribers, settleMs);
        server.assertAlive();
      } finally {
        await server.stop();
      }
      const raw = await withUwsServer('relay', (uws) =>
        rssPerSubscriber(`ws://127.0.0.1:${uws.port}`, () => uws.pid, subscribers, settleMs),
      );

      // Hint: quick still touches more sessions than MAX_ACTIVE_SESSIONS (10,000), so passivation is exercised.
      const sessions = context.quick ? 12_000 : 100_000;
      const sessionServer = await ServerProcess.start({
        dir: join(dir, 'sessions'),
        label: 'memory-sessions',
        profileDir: context.profileDir,
      });
      let rssBefore: number;
      let rssAfter: number;
      let rssPeak: number;
      let stats: ServerStats;
      let publish: PublishResult;
      try {
        await sleep(settleMs);
        rssBefore = sessionServer.rssBytes();
        publish = await runPublisher({
          url: `${sessionServer.wsUrl}/ws/publish`,
          connections: 4,
          window: 8,
          eventsPerMessage: 100,
          expect: 'ack',
          traffic: 'distinctSessions',
          seed: 29,
          warmupMs: 0,
          durationMs: 300_000,
          maxEvents: sessions,
          drainTimeoutMs: 30_000,
        });
        await sleep(settleMs);
        rssAfter = sessionServer.rssBytes();
        rssPeak = sessionServer.peakRssBytes();
        stats = await sessionServer.stats();
      } finally {
        await sessionServer.stop();
      }
      const sessionRate = (publish.measuredEvents * 1000) / publish.measuredMs;
      const metrics: Metric[] = [
        {
          name: 'RSS per idle subscriber',
          value: ours.perConnection / KB,
          unit: 'KiB',
          target: { op: '<=', value: TARGETS.memory.idleSubscriberKiB },
          ceiling: { name: 'raw uWS', value: raw.perConnection / KB },
        },
        { name: `RSS after ${sessions.toLocaleString('en-US')} sessions`, value: rssAfter / (KB * KB), unit: 'MiB' },
        { name: 'RSS growth for those sessions', value: (rssAfter - rssBefore) / (KB * KB), unit: 'MiB' },
        // Hint: the figure above is read 1.5 s after the load, when V8 may not yet have collected the garbage the
        // burst promoted; the peak of the server started for them is what a machine must hold (bench/HISTORY.md,
        // "The memory scenario's RSS is V8's heap sizing").
        { name: 'peak RSS of that server (VmHWM)', value: rssPeak / (KB * KB), unit: 'MiB' },
        {
          name: 'active_sessions (bounded)',
          value: stats.router.active_sessions,
          unit: '',
          target: { op: '<=', value: 10_000 },
          check: true,
        },
        { name: 'ingest rate, all-new sessions', value: sessionRate, unit: 'ev/s' },
        {
          name: 'events acked',
          value: publish.ackedEvents,
          unit: '',
          target: { op: '>=', value: sessions },
          check: true,
        },
      ];
      notes.push(
        `${subscribers.toLocaleString('en-US')} idle subscribers: server RSS ${(ours.rssFirst / KB / KB).toFixed(0)} → ${(ours.rssTotal / KB / KB).toFixed(0)} MiB; raw uWS ${(raw.rssFirst / KB / KB).toFixed(0)} → ${(raw.rssTotal / KB / KB).toFixed(0)} MiB`,
      );
      return { metrics, details: { subscribers, ours, raw, sessions, rssBefore, rssAfter, stats, publish }, notes };
    }),
};
