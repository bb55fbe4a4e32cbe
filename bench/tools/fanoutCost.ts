import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/actors/logger.js';
import { Pipeline } from '../../src/actors/pipeline.js';
import type { SubscriberSocket } from '../../src/actors/pipelinePort.js';
import { systemScheduler } from '../../src/actors/scheduler.js';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';

const SESSIONS = 1_000;
const FIREHOSE = 10;
const PER_COMMIT = 20;

/** Fake sockets with native fan-out: what a socket or topic is sent is only counted (no syscalls, no C++). */
function sockets() {
  let bytes = 0;
  const count = (text: string) => {
    bytes += text.length;
  };
  const publisher = { publish: (_topic: string, text: string) => count(text) };
  const socket = (): SubscriberSocket => ({
    send: count,
    bufferedAmount: () => 0,
    cork: (fn) => fn(),
    end: () => undefined,
    topics: { subscribe: () => undefined, unsubscribe: () => undefined, flush: () => undefined, publisher },
  });
  return { socket, bytes: () => bytes };
}

const input = (i: number): EventInput => ({
  id: null,
  event_type: 'timer_tick',
  source: 'bench',
  session_id: `sess_${(i * 7919) % SESSIONS}`,
  user_id: null,
  payloadJson: `{"i":${i},"sent_at":1700000000000000}`,
});

/** Server CPU per event of the whole pipeline in this process, with or without the fanout scenario's subscribers. */
async function cpuPerEvent(withSubscribers: boolean, commits: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-cost-'));
  let ids = 0;
  const log = new SqliteEventLog({
    path: join(dir, 'events.db'),
    now: () => Date.now(),
    newId: () => `gen_${++ids}`,
    newEpoch: () => 'e',
    indexer: 'inline',
  });
  let subscriberIds = 0;
  const pipeline = new Pipeline({
    log,
    logger: silentLogger,
    scheduler: systemScheduler(),
    newSubscriberId: () => `sub_${++subscriberIds}`,
    maxPendingEvents: 1_000_000,
    maxSubscribers: SESSIONS + FIREHOSE,
    subscriberBufferBytes: 1 << 20,
    slowConsumerTimeoutMs: 30_000,
    keepaliveMs: 30_000,
    checkpointMs: 5_000,
    subscribeTimeoutMs: 10_000,
    sessionIdleMs: 60_000,
    maxActiveSessions: 10_000,
  });
  const fakes = sockets();
  const requests = withSubscribers
    ? [
        ...Array.from({ length: SESSIONS }, (_, s) => ({ session_id: `sess_${s}` })),
        ...Array.from({ length: FIREHOSE }, () => ({ batch: true })),
      ]
    : [];
  for (const request of requests) {
    const handle = pipeline.openSubscriber(fakes.socket());
    if (handle !== null) pipeline.subscriberMessage(handle, JSON.stringify(request), 32);
  }
  let next = 0;
  const publish = async (n: number) => {
    for (let c = 0; c < n; c++) {
      const batch = Array.from({ length: PER_COMMIT }, () => input(next++));
      await new Promise<void>((resolve) => pipeline.submit(batch, () => resolve()));
    }
  };
  try {
    await publish(Math.ceil(commits / 10));
    const before = process.cpuUsage();
    await publish(commits);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (commits * PER_COMMIT);
  } finally {
    await pipeline.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The JavaScript cost of fan-out per event: the fanout scenario's 1,000 session and 10 firehose subscribers on fake
 * sockets, minus the same pipeline with none, in one process (so uWS's writes are not in it). Usage:
 * node dist/bench/tools/fanoutCost.js [commits]
 */
async function main(): Promise<void> {
  const commits = Number(process.argv[2] ?? '') || 3_000;
  const rows: string[] = [];
  for (let round = 1; round <= 3; round++) {
    const none = await cpuPerEvent(false, commits);
    const all = await cpuPerEvent(true, commits);
    rows.push(`round ${round}: ${all.toFixed(2)} − ${none.toFixed(2)} = ${(all - none).toFixed(2)} µs/event`);
  }
  process.stdout.write(`fan-out CPU per event (1,010 subscribers, fake sockets)\n${rows.join('\n')}\n`);
}

await main();
