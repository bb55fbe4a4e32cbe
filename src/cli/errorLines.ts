import type { CliIo } from './command.js';

/**
 * Writes failed input lines to stderr, one line per run of the same error: `line 7: source: is required`, or
 * `lines 12–20011 (20,000 events): not acknowledged within 30000 ms (last: …)`. Hint: a server that went away
 * failed every event in flight with one message, and 20,000 identical lines hid the one that mattered.
 */
export class ErrorLines {
  private run: { message: string; first: number; last: number; count: number } | null = null;

  constructor(private readonly io: Pick<CliIo, 'stderr'>) {}

  add(line: number, message: string): void {
    const run = this.run;
    if (run !== null && run.message === message) {
      run.first = Math.min(run.first, line);
      run.last = Math.max(run.last, line);
      run.count++;
      return;
    }
    this.flush();
    this.run = { message, first: line, last: line, count: 1 };
  }

  /** Write the run that is still open. */
  flush(): void {
    const run = this.run;
    this.run = null;
    if (run === null) return;
    const where =
      run.count === 1
        ? `line ${run.first}`
        : `lines ${run.first}–${run.last} (${run.count.toLocaleString('en-US')} events)`;
    this.io.stderr.write(`${where}: ${run.message}\n`);
  }
}
