import { LogCorruptError, RESTORE_BACKUP } from './eventLog.js';
import { ChecksumMismatch } from './recordChecksum.js';

/** SQLite's word for a damaged page (SQLITE_CORRUPT and its extended codes, or a page that is not SQLite at all). */
export function isCorruption(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/**
 * Damage to the log found while serving. Without INTEGRITY_CHECK the open reads only a few pages, so a damaged page in
 * the middle of `events` shows itself only when something reads (or a commit writes) it: from then on `/readiness`
 * names the file (`problem`), and every read that meets the damage fails as a LogCorruptError naming the offset it
 * read from, instead of an anonymous internal error (a replay is closed saying where it stopped). A record that does
 * not match its checksum (altered in a page that still parses, which only INTEGRITY_CHECK=full looks for at open) is
 * damage the same way.
 */
export class LogDamage {
  /** Set at the first damaged read or commit; stays until a restart (only restoring a backup repairs the file). */
  problem: string | null = null;
  /** Ranges `skipped` has named. */
  private readonly skippedRanges = new Set<string>();

  constructor(
    private readonly path: string,
    private readonly notice: (message: string) => void,
    private readonly remedy = RESTORE_BACKUP,
  ) {}

  /**
   * Run a read of events from `fromOffset` (null: `what` else); a damaged page, or a record that does not match its
   * checksum, fails it as a LogCorruptError.
   */
  guard<T>(fromOffset: number | null, read: () => T, what?: string): T {
    try {
      return read();
    } catch (error) {
      const altered = error instanceof ChecksumMismatch;
      if (!altered && !isCorruption(error)) throw error;
      const damage = new LogCorruptError(this.path, fromOffset, {
        cause: error,
        remedy: this.remedy,
        ...(what === undefined ? {} : { what }),
        ...(altered ? { found: `found ${error.message}` } : {}),
      });
      this.mark(damage.message, error);
      throw damage;
    }
  }

  /** A commit failed: when it met a damaged page (say of producer_ids, or the page appends go to), mark the log. */
  commitFailed(error: unknown): void {
    if (isCorruption(error))
      this.mark(
        `the log ${this.path} is corrupt: a commit met a damaged page; stop the server and ${this.remedy}`,
        error,
      );
  }

  /**
   * A scan at open could not read offsets `from`..`to` (a damaged page) and went on after them: one warning line per
   * range, however many scans meet it, and the log is marked as a read that met it marks it.
   */
  skipped(from: number, to: number, error: unknown): void {
    const range = from === to ? `offset ${from}` : `offsets ${from}-${to}`;
    if (this.skippedRanges.has(range)) return;
    this.skippedRanges.add(range);
    const problem = `the log ${this.path} is corrupt: ${range} cannot be read (a damaged page); stop the server and ${this.remedy}`;
    if (this.problem === null) this.problem = problem;
    this.notice(`${problem} (${error instanceof Error ? error.message : String(error)}); serving the rest`);
  }

  private mark(problem: string, error: unknown): void {
    if (this.problem !== null) return;
    this.problem = problem;
    this.notice(`${problem} (${error instanceof Error ? error.message : String(error)})`);
  }
}
