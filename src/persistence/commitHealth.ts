import { type LogHealth, LogWriteError } from './eventLog.js';
import type { LogDamage } from './logDamage.js';
import { writeFailureReason } from './openError.js';
import { WriterLostError } from './writerThread.js';

/** Consecutive failed commits after which the log reports itself not writable. */
export const FAILED_COMMITS_UNHEALTHY = 3;
/** While unhealthy, a write probe at most once per this many ms after the last failure. */
const PROBE_INTERVAL_MS = 1_000;

/**
 * Tracks whether commits succeed. Unhealthy after FAILED_COMMITS_UNHEALTHY failures in a row (or at open, when the
 * log cannot be written); healthy again on the next successful commit or write probe. Hint: the probe matters
 * because a not-ready server gets no traffic, so no commit would ever come to prove it recovered.
 */
export class CommitHealth {
  private failures = 0;
  private reason: string | null = null;
  /** When (the monotonic clock) the last commit or probe failed; the next probe waits PROBE_INTERVAL_MS after it. */
  private lastFailure = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly probe: () => void,
    /** The log's path, which the reason for a failed write may name (see writeFailureReason). */
    private readonly path: string,
    /** Monotonic ms. Hint: on the wall clock, a step back postponed the probe by the step (a day: no probe for a day). */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** A commit went through. */
  succeeded(): void {
    this.failures = 0;
    this.reason = null;
  }

  /** A commit failed with `error`; returns why, in words. */
  failed(error: unknown): string {
    const message = writeFailureReason(error, this.path);
    this.failures++;
    this.lastFailure = this.monotonic();
    this.reason = `the last ${this.failures} commit${this.failures === 1 ? '' : 's'} failed: ${message}`;
    return message;
  }

  /** The log could not be written at open; returns why, in words. */
  unwritableAtOpen(error: unknown): string {
    const message = writeFailureReason(error, this.path);
    this.failures = FAILED_COMMITS_UNHEALTHY;
    this.lastFailure = this.monotonic();
    this.reason = `the log cannot be written: ${message}`;
    return message;
  }

  /** Current health, probing with a tiny write when unhealthy (rate-limited). */
  health(): LogHealth {
    if (this.failures < FAILED_COMMITS_UNHEALTHY) return { writable: true, reason: null };
    const now = this.monotonic();
    if (now - this.lastFailure >= PROBE_INTERVAL_MS) {
      this.lastFailure = now;
      try {
        this.probe();
        this.succeeded();
        return { writable: true, reason: null };
      } catch {
        // still failing; keep the reason of the last commit
      }
    }
    return { writable: false, reason: this.reason };
  }
}

/**
 * The LogWriteError for a commit that failed, counted in `health`; a commit that met a damaged page marks the log
 * damaged (no later commit repairs it, so /readiness names the file until a restart instead of flapping).
 */
export function commitError(error: unknown, health: CommitHealth, damage: LogDamage): LogWriteError {
  const reason = health.failed(error);
  damage.commitFailed(error);
  const uncertain = error instanceof WriterLostError;
  const message = uncertain ? error.message : 'append failed; nothing was committed';
  return new LogWriteError(message, { cause: error, uncertain, reason });
}
