import type { EventLog } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { Logger } from './logger.js';
import type { Scheduler } from './scheduler.js';

/**
 * How far the wall clock must fall behind the log's newest timestamp before it is told. Hint: in cluster mode the
 * records come stamped by the node that published them, whose clock may run some ms ahead of this one.
 */
export const CLOCK_BEHIND_WARN_MS = 1_000;

/**
 * The wall clock against the log's newest timestamp. The log stamps a commit max(now, its newest ts), so its times
 * never go back; a wall clock behind that (stepped back, or ahead for a moment before) gives every event the same
 * millisecond until it catches up, and `since=` polling sees nothing new. Told once when it begins, once when the
 * clock caught up (both warn lines); /metrics reads `behindMs`.
 */
export class ClockWatch {
  /** The monotonic reading when the clock was found behind; null while it is not. */
  private since: number | null = null;
  private worst = 0;

  constructor(
    private readonly scheduler: Pick<Scheduler, 'now' | 'monotonic'>,
    private readonly logger: Logger,
    private newest = 0,
  ) {}

  /** A commit's records, in offset order (once per commit): the last one's ts is the log's newest. */
  committed(records: readonly StoredEvent[]): void {
    const last = records[records.length - 1];
    if (last !== undefined && last.ts > this.newest) this.newest = last.ts;
    this.check();
  }

  /** Ms the wall clock is behind the log's newest timestamp (0 when it is not). */
  behindMs(): number {
    return Math.max(0, this.newest - this.scheduler.now());
  }

  /** Tell when the clock falls CLOCK_BEHIND_WARN_MS or more behind, and when it catches up (at commits and sweeps). */
  check(): void {
    const behind = this.behindMs();
    if (this.since === null) {
      if (behind < CLOCK_BEHIND_WARN_MS) return;
      [this.since, this.worst] = [this.scheduler.monotonic(), behind];
      this.logger.warn(
        { behind_ms: behind, log_newest_ts: this.newest },
        'the wall clock is behind the newest event timestamp in the log: new events get that timestamp (times in the log never go back) until the clock catches up',
      );
      return;
    }
    this.worst = Math.max(this.worst, behind);
    if (behind > 0) return;
    const lasted = Math.round(this.scheduler.monotonic() - this.since);
    this.since = null;
    this.logger.warn(
      { behind_ms_max: this.worst, lasted_ms: lasted },
      'the wall clock caught up with the newest event timestamp in the log: events are stamped with the wall clock again',
    );
  }
}

/** The log's newest timestamp at start: 0 when it is empty, or its head cannot be read (the reads that meet it say why). */
export function newestTimestamp(log: Pick<EventLog, 'headOffset' | 'readFrom'>): number {
  try {
    return log.readFrom(log.headOffset(), {}, 1)[0]?.ts ?? 0;
  } catch {
    return 0;
  }
}
