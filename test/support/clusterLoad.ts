import type { ChildServer } from './childServer.js';
import { eventBody } from './pipelineRest.js';
import type { WireRecord } from './wsClient.js';

/** An acked record as a producer saw it. */
export interface Acked {
  readonly id: string;
  readonly offset: number;
}

/**
 * A producer that keeps publishing batches with producer ids through one node, retrying a batch (same ids) on any
 * error or non-2xx answer until it is acked, so every batch is acked exactly once whatever fails underneath.
 */
export class SteadyProducer {
  readonly acked: Acked[] = [];
  /** Non-2xx answers and network errors seen (retried). */
  failures = 0;
  private stopped = false;
  private aborted = false;
  /** Milliseconds between an ack and the next batch (0: back to back). */
  private gapMs = 0;
  private readonly done: Promise<void>;

  constructor(
    private target: () => ChildServer,
    private readonly name: string,
    private readonly batch = 10,
  ) {
    this.done = this.run();
  }

  /** Batches acked so far. */
  get batches(): number {
    return this.acked.length / this.batch;
  }

  /** Publish through another node from the next attempt on. */
  retarget(target: () => ChildServer): void {
    this.target = target;
  }

  /**
   * Wait `ms` after each ack before the next batch (0: back to back, the default). Hint: a failover test publishes
   * back to back around each kill, so the kill finds publishes in flight, and paced while a replaced server catches
   * up, where full speed only cost CPU (the file alone: 27 s of CPU unpaced, 14-15 s paced).
   */
  pace(ms: number): void {
    this.gapMs = ms;
  }

  /** Finish the batch in flight and stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Stop now, giving up the batch in flight if it is not acked by its current attempt (cleanup after a failure). */
  async abort(): Promise<void> {
    this.stopped = true;
    this.aborted = true;
    await this.done;
  }

  private async run(): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const events = Array.from({ length: this.batch }, (_, i) =>
        eventBody({ id: `${this.name}-${n}-${i}`, session_id: `${this.name}-${i % 3}`, payload: { n, i } }),
      );
      for (;;) {
        const records = await this.attempt(events);
        if (records !== null) {
          for (const r of records) this.acked.push({ id: r.id, offset: r.offset });
          if (this.gapMs > 0) await new Promise((resolve) => setTimeout(resolve, this.gapMs));
          break;
        }
        this.failures++;
        if (this.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private async attempt(events: unknown[]): Promise<WireRecord[] | null> {
    try {
      const response = await fetch(`${this.target().base}/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(events),
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status !== 201 && response.status !== 200) return null;
      return (await response.json()) as WireRecord[];
    } catch {
      return null;
    }
  }
}
