import { Publisher } from '../../src/client/index.js';
import { EventFactory } from '../lib/eventFactory.js';
import { serveWorker } from '../lib/workerRuntime.js';

/** A closed-loop run of the client SDK's Publisher over one socket. */
export interface SdkPublishPlan {
  readonly url: string;
  readonly seed: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What an SDK publishing run measured. */
export interface SdkPublishResult {
  readonly [key: string]: unknown;
  readonly type: 'sdkPublished';
  readonly ackedEvents: number;
  readonly failed: number;
  readonly firstErrors: string[];
  readonly measuredEvents: number;
  readonly measuredMs: number;
  readonly clientCpuMs: number;
}

const POOL_EVENTS = 20_000;

/** Publish pool events one `publish()` call at a time, as an application would, until the run ends. */
async function run(plan: SdkPublishPlan): Promise<SdkPublishResult> {
  const pool = Array.from(
    { length: POOL_EVENTS },
    (
      (factory) => () =>
        factory.next()
    )(new EventFactory({ seed: plan.seed, sessions: 1_000, users: 5_000 })),
  );
  const publisher = new Publisher({ url: plan.url });
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + plan.warmupMs;
  const end = measureFrom + plan.durationMs;
  let acked = 0;
  let measured = 0;
  let failed = 0;
  const firstErrors: string[] = [];
  const onAck = () => {
    acked++;
    const now = performance.now();
    if (now >= measureFrom && now < end) measured++;
  };
  const onError = (error: unknown) => {
    failed++;
    if (firstErrors.length < 3) firstErrors.push(error instanceof Error ? error.message : String(error));
  };
  for (let i = 0; performance.now() < end; i++) {
    await publisher.ready();
    void publisher.publish(pool[i % POOL_EVENTS]!).then(onAck, onError);
  }
  await publisher.close();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: 'sdkPublished',
    ackedEvents: acked,
    failed,
    firstErrors,
    measuredEvents: measured,
    measuredMs: plan.durationMs,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

serveWorker({ sdkPublish: (message) => run(message.plan as SdkPublishPlan) });
