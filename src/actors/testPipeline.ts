import type { EventInput } from '../protocol/eventInput.js';
import { FakeSocket } from './fakeSocket.js';
import { silentLogger } from './logger.js';
import type { ManualScheduler } from './manualScheduler.js';
import { Pipeline, type PipelineOptions, type SubmitOutcome } from './pipeline.js';
import { openTestLog } from './testLog.js';

/** An id-less input of `session_id` (a timer tick unless told), for the actor unit tests. */
export const testInput = (session_id: string, event_type: EventInput['event_type'] = 'timer_tick'): EventInput => ({
  id: null,
  event_type,
  source: 'test',
  session_id,
  user_id: null,
  payloadJson: '{}',
});

/**
 * A pipeline over a real temp log for actor unit tests, on a manual scheduler, with small bounds; and `publish`,
 * which submits batches, runs the group commit and waits for their outcomes; and `subscribe`.
 */
export function startTestPipeline(
  scheduler: ManualScheduler,
  cleanups: (() => void)[],
  options: Partial<PipelineOptions> = {},
  prefix = 'pipeline-unit-',
  log = openTestLog(scheduler, cleanups, prefix),
) {
  let subscriberIds = 0;
  const pipeline = new Pipeline({
    log,
    logger: silentLogger,
    scheduler,
    newSubscriberId: () => `sub_${++subscriberIds}`,
    maxPendingEvents: 10_000,
    maxSubscribers: 10,
    subscriberBufferBytes: 1 << 20,
    slowConsumerTimeoutMs: 5_000,
    keepaliveMs: 30_000,
    checkpointMs: 5_000,
    subscribeTimeoutMs: 10_000,
    sessionIdleMs: 60_000,
    maxActiveSessions: 100,
    ...options,
  });
  const publish = async (...batches: EventInput[][]): Promise<SubmitOutcome[]> => {
    const outcomes: SubmitOutcome[] = [];
    for (const batch of batches)
      if (pipeline.submit(batch, (o) => outcomes.push(o)) !== null) throw new Error('the pipeline refused a batch');
    scheduler.runImmediates();
    for (let i = 0; i < 10 && outcomes.length < batches.length; i++) await Promise.resolve();
    if (outcomes.length !== batches.length) throw new Error(`${outcomes.length} of ${batches.length} outcomes`);
    return outcomes;
  };
  /** Open a subscriber on a fake socket and send it `message` (its first, the subscription), deferred work run. */
  const subscribe = (message: object) => {
    const socket = new FakeSocket();
    const handle = pipeline.openSubscriber(socket);
    if (handle === null) throw new Error('refused');
    pipeline.subscriberMessage(handle, JSON.stringify(message), 32);
    scheduler.runImmediates();
    return { socket, handle };
  };
  return { pipeline, log, publish, subscribe };
}
