import type { CliIo } from './command.js';

/** The most failures held back for line order; past it the earliest is written at once. */
const MAX_HELD = 100_000;

/** One failed input line, waiting to be written in line order. */
interface Failure {
  readonly line: number;
  readonly message: string;
  readonly group: string;
  readonly unit: string;
}

/**
 * Writes failed input lines to stderr in line order, one line per run of the same error: `line 7: source: is
 * required`, or `lines 12–20011 (20,000 events): not acknowledged within 30000 ms (last: …)`. Hint: a server that
 * went away failed every event in flight with one message, and 20,000 identical lines hid the one that mattered.
 * Failures are held until `release` says every line before them has settled: publishes settle out of order (a
 * refused message is resent one unit at a time) and lines that are not JSON fail as they are read, so written as
 * they came, lines 2, 6 and 3 were reported in that order.
 */
export class ErrorLines {
  private run: (Failure & { same: boolean; first: number; last: number; count: number }) | null = null;
  /** Held failures, by line from `head` on (added nearly in line order: see add). */
  private held: Failure[] = [];
  private head = 0;

  /** `unit` names what the lines hold in a run's count (`events`, or `lines` for input that is not an event). */
  constructor(
    private readonly io: Pick<CliIo, 'stderr'>,
    private readonly unit = 'events',
  ) {}

  /**
   * One failed line, held until released. Messages with the same `group` (and `unit`) make one run, shown with the
   * first message when they differ. Hint: JSON.parse names the position and quotes the line, so 5,000 bad lines were
   * 5,000 different messages.
   */
  add(line: number, message: string, group = message, unit = this.unit): void {
    const failure = { line, message, group, unit };
    // Hint: failures come nearly in line order, so this finds its place from the end in a step or two.
    let at = this.held.length;
    while (at > this.head && this.held[at - 1]!.line > line) at--;
    if (at === this.held.length) this.held.push(failure);
    else this.held.splice(at, 0, failure);
    // Hint: a silent server holds every line behind its first unacknowledged one (a file of garbage read on while it
    // waits); memory stays bounded, and order then holds within what is written.
    if (this.held.length - this.head > MAX_HELD) this.write(this.held[this.head++]!);
  }

  /** Write the held failures of lines before `line`, in line order (the run they end in stays open). */
  release(line = Number.POSITIVE_INFINITY): void {
    while (this.head < this.held.length && this.held[this.head]!.line < line) this.write(this.held[this.head++]!);
    if (this.head === this.held.length || this.head > 1024) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }

  /** Write every failure held, and the run that is still open. */
  flush(): void {
    this.release();
    this.close();
  }

  private write(failure: Failure): void {
    const run = this.run;
    if (run !== null && run.group === failure.group && run.unit === failure.unit) {
      run.last = failure.line;
      run.count++;
      run.same &&= run.message === failure.message;
      return;
    }
    this.close();
    this.run = { ...failure, same: true, first: failure.line, last: failure.line, count: 1 };
  }

  private close(): void {
    const run = this.run;
    this.run = null;
    if (run === null) return;
    if (run.count === 1) return void this.io.stderr.write(`line ${run.first}: ${run.message}\n`);
    const where = `lines ${run.first}–${run.last} (${run.count.toLocaleString('en-US')} ${run.unit})`;
    const detail = run.message.startsWith(`${run.group}: `) ? run.message.slice(run.group.length + 2) : run.message;
    const text = run.same ? run.message : `${run.group} (the first: ${detail})`;
    this.io.stderr.write(`${where}: ${text}\n`);
  }
}
