import type { SubscriberTally, Subscription } from '../workers/subscriberPool.js';
import { type WorkerMessage, WorkerProcess } from './childProcesses.js';
import { LatencyHistogram, type SerializedHistogram } from './histogram.js';

interface Connected extends WorkerMessage {
  readonly opened: number;
  readonly failed: number;
  readonly errors: string[];
}

interface Collected extends WorkerMessage {
  readonly tallies: SubscriberTally[];
  readonly histogram: SerializedHistogram;
  readonly received: number;
  readonly clientCpuMs: number;
}

/** What connecting a set of subscribers gave. */
export interface ConnectOutcome {
  readonly opened: number;
  readonly failed: number;
  readonly errors: string[];
}

/**
 * Subscribers spread over several client processes (at most `perProcess` each), so neither one event loop nor one
 * process's file-descriptor limit caps the count.
 */
export class SubscriberPools {
  private readonly workers: { worker: WorkerProcess; count: number }[] = [];

  constructor(
    private readonly url: string,
    private readonly perProcess: number,
    private readonly track: boolean,
  ) {}

  get processes(): number {
    return this.workers.length;
  }

  /** Connect more subscribers (each sends its config and waits for the ack). */
  async add(subscriptions: readonly Subscription[], timeoutMs = 60_000): Promise<ConnectOutcome> {
    const jobs: Promise<Connected>[] = [];
    let rest = subscriptions.slice();
    for (let guard = 0; rest.length > 0 && guard < 10_000; guard++) {
      let slot = this.workers.find((w) => w.count < this.perProcess);
      if (slot === undefined) {
        slot = { worker: WorkerProcess.start('subscriberPool'), count: 0 };
        this.workers.push(slot);
      }
      const take = rest.slice(0, this.perProcess - slot.count);
      rest = rest.slice(take.length);
      slot.count += take.length;
      const plan = { url: this.url, subscriptions: take, concurrency: 64, connectTimeoutMs: 15_000, track: this.track };
      jobs.push(slot.worker.request<Connected>({ type: 'connect', plan }, 'connected', timeoutMs));
    }
    const results = await Promise.all(jobs);
    return {
      opened: results.reduce((s, r) => s + r.opened, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      errors: results.flatMap((r) => r.errors).slice(0, 5),
    };
  }

  /** Records received so far, over all processes. */
  async received(): Promise<number> {
    const replies = await Promise.all(
      this.workers.map((w) =>
        w.worker.request<WorkerMessage & { received: number }>({ type: 'progress' }, 'progress', 10_000),
      ),
    );
    return replies.reduce((s, r) => s + r.received, 0);
  }

  async resetLatency(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.request({ type: 'resetLatency' }, 'latencyReset', 10_000)));
  }

  /** Every subscriber's tally and the merged latency histogram. */
  async collect(): Promise<{ tallies: SubscriberTally[]; histogram: LatencyHistogram; clientCpuMs: number }> {
    const replies = await Promise.all(
      this.workers.map((w) => w.worker.request<Collected>({ type: 'collect' }, 'collected', 30_000)),
    );
    const histogram = new LatencyHistogram();
    for (const r of replies) histogram.merge(r.histogram);
    return {
      tallies: replies.flatMap((r) => r.tallies),
      histogram,
      clientCpuMs: replies.reduce((s, r) => s + r.clientCpuMs, 0),
    };
  }

  /** Close every subscriber and stop every client process. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        try {
          await w.worker.request({ type: 'close' }, 'closed', 10_000);
        } catch {
          // stopping anyway
        }
        await w.worker.stop();
      }),
    );
    this.workers.length = 0;
  }
}
