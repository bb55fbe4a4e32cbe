import type { Logger } from '../actors/logger.js';

/** Failed-key lines written in full per window; later failures in the window are counted, then summed in one line. */
export const AUTH_LINES_PER_WINDOW = 10;
/** The window (ms of the request log's monotonic clock), from its first failure. */
export const AUTH_WINDOW_MS = 60_000;
/** Client addresses counted one by one in a window's summary; failures from any further address are summed together. */
export const AUTH_COUNTED_CLIENTS = 1_000;
/** Addresses the summary line names, the most refused first. */
const NAMED_CLIENTS = 5;

/** What an `authentication failed` line says of its request. */
export interface AuthFailureFields {
  readonly client: string;
  readonly [field: string]: unknown;
}

/**
 * The `authentication failed` warn lines: the first AUTH_LINES_PER_WINDOW of a window in full, then one line when the
 * window ends with how many more there were and from which addresses. Why: a client on a rotated-out key, or one
 * guessing keys, wrote a line per request (two with LOG_REQUESTS): 10,000 refused requests were 4 MB of log in
 * 2.5 s, bounded only by a rate limit (off by default) or LOG_LEVEL=error, which hides every other warning too.
 * pipeline_auth_failures_total still counts every one.
 */
export class AuthFailureLines {
  private windowStart: number | null = null;
  private logged = 0;
  private readonly unlogged = new Map<string, number>();
  private unloggedElsewhere = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {}

  failed(fields: AuthFailureFields): void {
    this.tick();
    this.windowStart ??= this.clock();
    if (this.logged < AUTH_LINES_PER_WINDOW) {
      this.logged++;
      const last = this.logged === AUTH_LINES_PER_WINDOW;
      // Hint: the last full line says the others are counted, so a quiet log after it is not read as quiet traffic.
      this.logger.warn(
        last
          ? { ...fields, further: `counted, then summed in one line when ${AUTH_WINDOW_MS / 1000} s have passed` }
          : fields,
        'authentication failed',
      );
      return;
    }
    const times = this.unlogged.get(fields.client);
    if (times !== undefined) this.unlogged.set(fields.client, times + 1);
    else if (this.unlogged.size < AUTH_COUNTED_CLIENTS) this.unlogged.set(fields.client, 1);
    else this.unloggedElsewhere++;
  }

  /** Called every sweep (and before each failure): a window that has ended says what it did not write; `end`: end it now (shutdown). */
  tick(end = false): void {
    if (this.windowStart === null || (!end && this.clock() - this.windowStart < AUTH_WINDOW_MS)) return;
    this.windowStart = null;
    this.logged = 0;
    if (this.unlogged.size === 0) return;
    const byTimes = [...this.unlogged].sort((a, b) => b[1] - a[1]);
    const times = byTimes.reduce((sum, [, n]) => sum + n, this.unloggedElsewhere);
    const clients = byTimes.length + (this.unloggedElsewhere > 0 ? 1 : 0);
    const named = byTimes.slice(0, NAMED_CLIENTS).map(([client, n]) => `${client} (${n})`);
    const top = this.unloggedElsewhere > 0 ? [...named, `others (${this.unloggedElsewhere})`] : named;
    this.logger.warn(
      { times, clients: this.unloggedElsewhere > 0 ? `over ${clients - 1}` : clients, top_clients: top.join(', ') },
      'authentication failed more times than logged',
    );
    this.unlogged.clear();
    this.unloggedElsewhere = 0;
  }
}
