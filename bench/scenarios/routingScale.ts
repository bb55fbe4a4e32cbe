import { runPublisher, sleep } from '../lib/loadRuns.js';
import { openFileLimit } from '../lib/procStats.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { SubscriberPools } from '../lib/subscriberPools.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { Subscription } from '../workers/subscriberPool.js';
import type { PublishPlan } from '../workers/wsPublisher.js';

/** One subscriber count's measurement. */
interface Level {
  readonly subscribers: number;
  readonly events: number;
  readonly cpuMs: number;
  readonly cpuPerEventUs: number;
  readonly eventsPerSecond: number;
  readonly idleCpuPerSecondMs: number;
}

/** Server CPU per published event with 10 … 10,000 connected subscribers that never match. */
export const routingScale: Scenario = {
  name: 'routing-scale',
  summary: 'server CPU per event with 10, 100, 1,000, 10,000 idle non-matching subscribers',
  run: (context) =>
    withTempDir('routing-scale', async (dir): Promise<ScenarioOutcome> => {
      const notes: string[] = [];
      const wanted = context.quick ? [10, 100, 1_000] : [10, 100, 1_000, 10_000];
      // Hint: the server holds one fd per subscriber, plus the database, listen socket and some slack.
      const fdLimit = openFileLimit();
      const levels = wanted.filter((n) => n + 256 <= fdLimit);
      if (levels.length < wanted.length)
        notes.push(
          `ulimit -n is ${fdLimit}: skipped ${wanted.filter((n) => !levels.includes(n)).join(', ')} subscribers (raise it to run them)`,
        );
      const max = Math.max(...levels);
      const server = await ServerProcess.start({
        dir,
        label: 'routing-scale',
        profileDir: context.profileDir,
        env: { MAX_SUBSCRIBERS: String(max + 100), MAX_WS_CONNECTIONS_PER_IP: String(max + 200) },
      });
      const pools = new SubscriberPools(`${server.wsUrl}/ws/subscribe`, 2_500, false);
      const events = context.quick ? 20_000 : 200_000;
      const plan: PublishPlan = {
        url: `${server.wsUrl}/ws/publish`,
        connections: 4,
        window: 8,
        eventsPerMessage: 100,
        expect: 'ack',
        traffic: 'realistic',
        seed: 23,
        warmupMs: 0,
        durationMs: 120_000,
        maxEvents: events,
        drainTimeoutMs: 10_000,
      };
      const results: Level[] = [];
      try {
        await runPublisher(plan); // JIT warmup, the first 1,000 session actors, and a deferred index build or two
        let connected = 0;
        for (const level of levels) {
          const subscriptions: Subscription[] = [];
          for (let i = connected; i < level; i++) subscriptions.push({ session_id: `idle_${i}`, batch: false });
          const outcome = await pools.add(subscriptions, 120_000);
          if (outcome.failed > 0)
            throw new Error(`${outcome.failed} subscribers failed at level ${level}: ${outcome.errors.join('; ')}`);
          connected = level;
          await sleep(context.quick ? 200 : 500);
          const idleBefore = server.cpuTimeMs();
          await sleep(context.quick ? 500 : 1_000);
          const idleCpu = server.cpuTimeMs() - idleBefore;
          const cpuBefore = server.cpuTimeMs();
          const result = await runPublisher(plan);
          const cpuMs = server.cpuTimeMs() - cpuBefore;
          if (result.ackedEvents !== events)
            throw new Error(
              `level ${level}: ${result.ackedEvents} of ${events} events acked (${result.firstErrors.join(' | ')})`,
            );
          const level_: Level = {
            subscribers: level,
            events,
            cpuMs,
            cpuPerEventUs: (cpuMs * 1000) / events,
            eventsPerSecond: (result.measuredEvents * 1000) / result.measuredMs,
            idleCpuPerSecondMs: idleCpu,
          };
          results.push(level_);
          context.log(
            `${level} subscribers: ${level_.cpuPerEventUs.toFixed(2)} µs CPU/event, ${Math.round(level_.eventsPerSecond).toLocaleString('en-US')} ev/s, idle ${idleCpu.toFixed(0)} ms CPU/s`,
          );
        }
        const stats = await server.stats();
        notes.push(
          `active_subscribers at end: ${stats.router.active_subscribers}, in ${pools.processes} client process(es)`,
        );
      } finally {
        await pools.stop();
        await server.stop();
      }
      const costs = results.map((r) => r.cpuPerEventUs);
      const min = Math.min(...costs);
      const maxCost = Math.max(...costs);
      const first = results[0]!;
      const last = results[results.length - 1]!;
      return {
        metrics: [
          ...results.map((r) => ({
            name: `CPU/event @${r.subscribers.toLocaleString('en-US')} subs`,
            value: r.cpuPerEventUs,
            unit: 'µs',
            ceiling: { name: `@${first.subscribers} subs`, value: first.cpuPerEventUs },
          })),
          {
            name: 'max/min CPU per event',
            value: maxCost / min,
            unit: '×',
            target: { op: '<=', value: TARGETS.routingScale.maxOverMin },
          },
          {
            name: `idle CPU @${last.subscribers.toLocaleString('en-US')} subs`,
            value: last.idleCpuPerSecondMs,
            unit: 'ms/s',
          },
        ],
        details: { levels: results, fdLimit, eventsPerLevel: events },
        notes: [...notes, 'CPU from /proc/<pid>/stat utime+stime (10 ms ticks) over a fixed event count per level'],
      };
    }),
};
