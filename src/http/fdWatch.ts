import { fstatSync, readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../actors/logger.js';

/** Where the process's open file descriptors and their limit are read: /proc on Linux; tests pass their own. */
export interface FdSource {
  /** Open file descriptors now. */
  count(): number;
  /** The soft RLIMIT_NOFILE, or null when unknown or unlimited (then nothing is watched). */
  limit(): number | null;
  /** Whether descriptor number `fd` is open (one fstat): a cheap sign that many are, since Linux hands out the lowest free. */
  inUse?(fd: number): boolean;
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
  inUse: (fd) => {
    try {
      fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  },
};

/** Refuse new WebSocket connections from this share of the limit on... */
const HIGH_WATER = 0.9;
/**
 * ...stop accepting any connection from this share on (plain HTTP connections cannot be refused one by one: uWS
 * accepts them before any code of ours runs)...
 */
const PAUSE_WATER = 0.95;
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
  private high: number | null = null;
  private low: number | null = null;
  /** Descriptors at which the listening socket is closed (see `accepting`). */
  private pause: number | null = null;
  private limit: number | null = null;
  private open = 0;
  private paused = false;
  /** Samples to skip before the next count (while far from the limit). */
  private skip = 0;
  private over = false;
  private refused = 0;

  constructor(
    limit: number | null,
    private readonly count: () => number,
    private readonly logger: Logger,
    private readonly inUse: (fd: number) => boolean = () => false,
    /** The limit now, read again at each count (null: unreadable, the last one stands). */
    private readonly readLimit: () => number | null = () => null,
  ) {
    this.setLimit(limit);
  }

  /**
   * Hint: a limit can change under a running server (`prlimit --nofile` on its pid); read once at start, the watch
   * printed `20000 of the limit 20000` at 200 open under a real limit of 200, and resumed above it (a probe).
   */
  private setLimit(limit: number | null): void {
    this.limit = limit;
    this.high = limit === null ? null : Math.floor(limit * HIGH_WATER);
    this.low = limit === null ? null : Math.floor(limit * LOW_WATER);
    this.pause = limit === null ? null : Math.floor(limit * PAUSE_WATER);
  }

  /**
   * False from `pause` descriptors until below `low`: the server closes its listening socket meanwhile, so new
   * clients are refused by the kernel at once instead of hanging while uWS's accept loop spins on EMFILE.
   */
  get accepting(): boolean {
    return !this.paused;
  }

  /** A watch of this process from `source` (its limit read at start and again at each count). */
  static of(source: FdSource, logger: Logger): FdWatch {
    return new FdWatch(
      source.limit(),
      () => source.count(),
      logger,
      (fd) => source.inUse?.(fd) ?? false,
      () => source.limit(),
    );
  }

  /**
   * Count the open descriptors (the sweep asks once a second; far from the limit, one ask in FAR_SAMPLES counts) and
   * start or stop refusing; one line for each.
   */
  sample(): void {
    if (this.high === null) return;
    // Hint: every sample, not only counts: a limit lowered far below the last one must not wait out the far samples.
    const limit = this.readLimit();
    if (limit !== null && limit !== this.limit) this.setLimit(limit);
    const far = this.open < this.high / 2;
    // Hint: unless descriptor number `low` is open: a flood of plain connections fills the table within a second.
    if (far && this.skip > 0 && !this.inUse(this.low!)) {
      this.skip--;
      return;
    }
    this.open = this.counted();
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

  /**
   * The count, or the limit when counting needs a descriptor there is none left for. Hint: reading /proc/self/fd
   * opens one; a flood of plain connections to the limit made it throw EMFILE in the sweep, which ended the process.
   */
  private counted(): number {
    try {
      return this.count();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EMFILE' || code === 'ENFILE') return this.limit ?? this.open;
      this.logger.error({ err: error }, 'counting open file descriptors failed; the last count stands');
      return this.open;
    }
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
    const refused = this.paused ? 'no new connection is accepted' : 'new WebSocket connections are refused';
    return `too many open files: ${this.open} of the limit ${this.limit} (RLIMIT_NOFILE); ${refused} until fewer than ${this.low} are open`;
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
    }
    if (this.over && !this.paused && this.pause !== null && this.open >= this.pause) {
      this.paused = true;
      this.logger.warn(
        { open_fds: this.open, max_fds: this.limit, resume_below: this.low },
        'open file descriptors nearly at the limit (RLIMIT_NOFILE): not accepting new connections (the listening socket is closed; clients are refused at once); connections already open are served',
      );
    } else if (this.over && this.open < this.low) {
      const paused = this.paused;
      this.over = false;
      this.paused = false;
      this.logger.info(
        { open_fds: this.open, max_fds: this.limit, refused: this.refused },
        `open file descriptors below the low-water mark: ${paused ? 'accepting connections and ' : ''}taking new WebSocket connections again`,
      );
    }
  }
}
