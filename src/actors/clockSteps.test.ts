import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger } from '../../test/support/capturingLogger.js';
import { FakeSocket } from './fakeSocket.js';
import { ManualScheduler } from './manualScheduler.js';
import type { Pipeline, PipelineOptions } from './pipeline.js';
import { openTestLog } from './testLog.js';
import { startTestPipeline, testInput } from './testPipeline.js';

const HOUR = 3_600_000;
const STEPS = [-HOUR, HOUR];

/**
 * The sweep rules measure intervals on the scheduler's monotonic clock: a step of the wall clock (NTP, `date -s`)
 * neither stops them (a step back: before, nothing for as long as the step) nor fires them early (a step forward).
 */
describe('the sweep rules on the monotonic clock while the wall clock steps (manual scheduler)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function start(options: Partial<PipelineOptions> = {}) {
    const scheduler = new ManualScheduler();
    return { scheduler, ...startTestPipeline(scheduler, cleanups, options) };
  }

  /** `ms` of monotonic time, one sweep every `every` ms, as the server's maintenance timer runs it. */
  function sweeps(scheduler: ManualScheduler, pipeline: Pipeline, ms: number, every = 1_000): void {
    for (let t = 0; t < ms; t += every) {
      scheduler.advance(Math.min(every, ms - t));
      pipeline.sweep();
    }
  }

  const typed = (socket: FakeSocket, type: string) =>
    socket.messages().filter((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === type).length;

  it('keeps sending keepalives and checkpoints every interval after the wall clock steps back an hour', () => {
    const { scheduler, pipeline, subscribe } = start({ keepaliveMs: 1_000, checkpointMs: 1_000 });
    const before = subscribe({ session_id: 'nobody', checkpoints: true }).socket;
    sweeps(scheduler, pipeline, 3_000);
    expect([typed(before, 'keepalive'), typed(before, 'checkpoint')]).toEqual([3, 3]);
    scheduler.stepWall(-HOUR);
    const after = subscribe({ session_id: 'nobody', checkpoints: true }).socket;
    sweeps(scheduler, pipeline, 6_000);
    // Before: none for either (the probe: nothing for 6 s, then the SDK's idle close 4001).
    expect([typed(before, 'keepalive'), typed(before, 'checkpoint')]).toEqual([9, 9]);
    expect([typed(after, 'keepalive'), typed(after, 'checkpoint')]).toEqual([6, 6]);
  });

  it('sends keepalives and checkpoints at every sweep when their interval is the sweep interval, sweeps a fraction of a ms early', () => {
    const { scheduler, pipeline, subscribe } = start({ keepaliveMs: 1_000, checkpointMs: 1_000 });
    const { socket } = subscribe({ session_id: 'nobody', checkpoints: true });
    // As a 1 s timer fires read by performance.now (libuv's loop time is whole ms): 999.6 ms, then 1000.4 ms apart.
    for (const ms of [1_000, 999.6, 1_000.4, 999.6, 1_000.4]) sweeps(scheduler, pipeline, ms, ms);
    // Before (the wall clock, or the monotonic clock unrounded): 3 of each, every other sweep after the first.
    expect([typed(socket, 'keepalive'), typed(socket, 'checkpoint')]).toEqual([5, 5]);
  });

  it.each(STEPS)(
    'closes a subscriber that never subscribes with 4000 10 s after it opened, the wall clock stepped %i ms',
    (step) => {
      const { scheduler, pipeline } = start();
      const socket = new FakeSocket();
      pipeline.openSubscriber(socket);
      scheduler.stepWall(step);
      sweeps(scheduler, pipeline, 10_000);
      expect(socket.ended).toBeNull();
      sweeps(scheduler, pipeline, 1);
      expect(socket.ended).toEqual({ code: 4000, reason: 'no subscribe message within 10 s' });
    },
  );

  it.each(STEPS)(
    'closes a stalled subscriber with 4008 at the slow-consumer timeout, the wall clock stepped %i ms',
    async (step) => {
      const { scheduler, pipeline, subscribe, publish } = start({ slowConsumerTimeoutMs: 5_000 });
      const { socket } = subscribe({});
      socket.buffered = 2 << 20;
      await publish([testInput('a')]);
      expect(pipeline.inspectSubscriber('sub_1')?.mode).toBe('lagging');
      scheduler.stepWall(step);
      sweeps(scheduler, pipeline, 5_000);
      expect(socket.ended).toBeNull();
      sweeps(scheduler, pipeline, 1);
      expect(socket.ended).toEqual({ code: 4008, reason: 'slow consumer; resume with from_offset=1' });
    },
  );

  it.each(STEPS)(
    'passivates a session SESSION_IDLE_MS after its last event, the wall clock stepped %i ms',
    async (step) => {
      const { scheduler, pipeline, publish } = start({ sessionIdleMs: 1_000 });
      await publish([testInput('s1', 'session_created'), testInput('s2', 'session_created')]);
      scheduler.stepWall(step);
      sweeps(scheduler, pipeline, 999, 333);
      expect(pipeline.stats().active_sessions).toBe(2);
      sweeps(scheduler, pipeline, 1);
      // Before: a step back kept them (the probe: 11 for 8 s), a step forward passivated them at once.
      expect(pipeline.stats().active_sessions).toBe(0);
    },
  );

  it('lists connected_at and last_activity on the wall clock as it reads now, less the monotonic time since', () => {
    const { scheduler, pipeline, subscribe } = start();
    const opened = scheduler.now();
    subscribe({ session_id: 'nobody' });
    scheduler.advance(2_000);
    scheduler.stepWall(-HOUR);
    const [row] = pipeline.subscribers(10).subscribers;
    expect([row?.connected_at, row?.last_activity]).toEqual([opened - HOUR, opened - HOUR]);
  });
});

describe('a wall clock behind the log newest timestamp (new events are stamped with it)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('is told once when it begins and once when the clock catches up, and /metrics reads how far behind', async () => {
    const scheduler = new ManualScheduler();
    const logger = new CapturingLogger();
    const { pipeline, publish, log } = startTestPipeline(scheduler, cleanups, { logger });
    const warnings = () => logger.lines.filter((line) => line.level === 'warn');
    // The probe: the wall clock a year ahead for a moment; here a minute.
    scheduler.stepWall(60_000);
    await publish([testInput('a')]);
    const ahead = scheduler.now();
    scheduler.stepWall(-60_000);
    expect(pipeline.clockBehindMs()).toBe(60_000);
    await publish([testInput('a')], [testInput('a')]);
    scheduler.advance(1_000);
    pipeline.sweep();
    await publish([testInput('a')]);
    expect(log.readFrom(1, {}, 10).map((r) => r.ts)).toEqual([ahead, ahead, ahead, ahead]);
    expect(pipeline.clockBehindMs()).toBe(59_000);
    expect(warnings()).toEqual([expect.objectContaining({ obj: { behind_ms: 60_000, log_newest_ts: ahead } })]);
    scheduler.advance(58_999);
    pipeline.sweep();
    expect([pipeline.clockBehindMs(), warnings().length]).toEqual([1, 1]);
    scheduler.advance(1);
    pipeline.sweep();
    expect(pipeline.clockBehindMs()).toBe(0);
    expect(warnings()[1]).toMatchObject({ obj: { behind_ms_max: 60_000, lasted_ms: 60_000 } });
    scheduler.advance(1);
    await publish([testInput('a')]);
    expect(log.readFrom(5, {}, 1)[0]?.ts).toBe(ahead + 1);
    expect(warnings()).toHaveLength(2);
  });

  it('is told at start when the log newest event is ahead of the clock (stepped back while the server was down)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clock-steps-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const before = new ManualScheduler();
    const first = startTestPipeline(before, cleanups, {}, '', openTestLog(before, cleanups, '', dir));
    await first.publish([testInput('a')]);
    first.log.close();
    const scheduler = new ManualScheduler(before.now() - 60_000);
    const logger = new CapturingLogger();
    const log = openTestLog(scheduler, cleanups, '', dir);
    const { pipeline } = startTestPipeline(scheduler, cleanups, { logger }, '', log);
    expect(pipeline.clockBehindMs()).toBe(60_000);
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({ obj: { behind_ms: 60_000, log_newest_ts: before.now() } }),
    ]);
  });
});
