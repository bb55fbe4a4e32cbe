import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../actors/logger.js';

/** Where the process's open file descriptors and their limit are read: /proc on Linux; tests pass their own. */
export interface FdSource {
  /** Open file descriptors now. */
  count(): number;
  /** The soft RLIMIT_NOFILE, or null when unknown or unlimited (then nothing is watched). */
  limit(): number | null;
}

/** The soft limit on the `Max open files` line of /proc/self/limits, or null (unlimited, or no such line). */
export function softNofileLimit(limitsText: string): number | null {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null;
}

/** This process's descriptors, from /proc (Linux); elsewhere nothing is watched. */
export const procFdSource: FdSource = {
  // Hint: measured 0.03 ms at 30 open, 0.6 ms at 1,000, 15 ms at 18,000 (prom-client's process_open_fds does the same per scrape).
  count: () => readdirSync('/proc/self/fd').length,
  limit: () => {
    try {
      return softNofileLimit(readFileSync('/proc/self/limits', 'utf8'));
    } catch {
      return null;
    }
  },
};

/** Refuse new WebSocket connections from this share of the limit on... */
const HIGH_WATER = 0.9;
/** ...until below this share (hysteresis: no flapping at the line). */
const LOW_WATER = 0.8;
/**
 * Below half of HIGH_WATER (counted, plus the upgrades taken since), only every this many samples count. Hint: a
 * count reads /proc/self/fd, 15 ms at 18,000 open: once a second that is a 15 ms stall a second for a busy server far
 * from its limit (Node raises the soft limit to the hard one, often 524,288 or more).
 */
const FAR_SAMPLES = 10;

/**
 * Open file descriptors against the soft RLIMIT_NOFILE. Why: at the limit, uWS's accept loop retries the pending
 * connection at once and for ever (EMFILE leaves it in the backlog): 490 of 500 CPU ticks on the main thread, new
 * clients (and /health) unanswered, nothing logged. Past HIGH_WATER new WebSocket upgrades are refused (503) before
 * they can take what is left, which SQLite's files, the worker threads and /health still need.
 */
export class FdWatch {
  /** Descriptors at which upgrades are refused, and below which they are taken again (null: not watched). */
  readonly high: number | null;
  readonly low: number | null;
  private open = 0;
  /** Samples to skip before the next count (while far from the limit). */
  private skip = 0;
  private over = false;
  private refused = 0;

  constructor(
    readonly limit: number | null,
    private readonly count: () => number,
    private readonly logger: Logger,
  ) {
    this.high = limit === null ? null : Math.floor(limit * HIGH_WATER);
    this.low = limit === null ? null : Math.floor(limit * LOW_WATER);
  }

  /** A watch of this process from `source` (the limit is read once: it does not change under a running server). */
  static of(source: FdSource, logger: Logger): FdWatch {
    return new FdWatch(source.limit(), () => source.count(), logger);
  }

  /**
   * Count the open descriptors (the sweep asks once a second; far from the limit, one ask in FAR_SAMPLES counts) and
   * start or stop refusing; one line for each.
   */
  sample(): void {
    if (this.high === null) return;
    const far = this.open < this.high / 2;
    if (far && this.skip > 0) {
      this.skip--;
      return;
    }
    this.open = this.count();
    this.skip = this.open < this.high / 2 ? FAR_SAMPLES - 1 : 0;
    this.update();
  }

  /**
   * An upgrade taken: one more descriptor until the next count. Hint: so a burst of upgrades between two sweeps is
   * stopped at the line too (each upgrade's socket was accepted already; the count sees the rest at the next sweep).
   */
  accepted(): void {
    if (this.limit === null) return;
    this.open++;
    this.update();
  }

  /** Why a new WebSocket connection is refused now (with 503), or null; counted for the recovery line. */
  refuse(): string | null {
    const reason = this.reason();
    if (reason !== null) this.refused++;
    return reason;
  }

  /** Why the server is not ready for more connections (for /readiness), or null. */
  reason(): string | null {
    if (!this.over) return null;
    return `too many open files: ${this.open} of the limit ${this.limit} (RLIMIT_NOFILE); new WebSocket connections are refused until fewer than ${this.low} are open`;
  }

  private update(): void {
    if (this.high === null || this.low === null) return;
    if (!this.over && this.open >= this.high) {
      this.over = true;
      this.refused = 0;
      this.logger.warn(
        { open_fds: this.open, max_fds: this.limit, resume_below: this.low },
        'open file descriptors near the limit (RLIMIT_NOFILE): refusing new WebSocket connections with 503; raise the limit (ulimit -n, LimitNOFILE) or look at who holds the connections',
      );
    } else if (this.over && this.open < this.low) {
      this.over = false;
      this.logger.info(
        { open_fds: this.open, max_fds: this.limit, refused: this.refused },
        'open file descriptors below the low-water mark: taking new WebSocket connections again',
      );
    }
  }
}
