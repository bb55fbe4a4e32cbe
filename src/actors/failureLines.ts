import { LogWriteError } from '../persistence/eventLog.js';
import type { Logger } from './logger.js';

/**
 * The log lines of a failure that repeats: the first failure with its stack, then nothing for each later one with the
 * same message until it stops (a success, another failure, or close), when one line says how many there were. Why:
 * while a NATS server is stopped, every commit in flight failed alike, and each wrote an error line with a stack
 * (8 within 5 ms, seen in a probe); an outage of a minute wrote one per commit.
 */
export class FailureLines {
  private last: string | null = null;
  private repeats = 0;

  constructor(
    private readonly logger: Logger,
    private readonly msg: string,
  ) {}

  failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.last) {
      this.repeats++;
      return;
    }
    this.ended();
    // Hint: a LogWriteError with no cause is an expected condition said in full by its message (no PubAck from the
    // cluster, say): its stack adds 10 lines of our own frames to every outage. One with a cause keeps it.
    const expected = error instanceof LogWriteError && error.cause === undefined;
    this.logger.error(expected ? { reason: message } : { err: error }, this.msg);
    this.last = message;
  }

  /** The failures stopped: say how many were not logged one by one. */
  ended(): void {
    if (this.repeats > 0)
      this.logger.warn({ times: this.repeats, reason: this.last }, `${this.msg} again the same way`);
    this.last = null;
    this.repeats = 0;
  }
}
