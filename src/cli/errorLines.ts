import type { CliIo } from './command.js';

/**
 * Writes failed input lines to stderr, one line per run of the same error: `line 7: source: is required`, or
 * `lines 12–20011 (20,000 events): not acknowledged within 30000 ms (last: …)`. Hint: a server that went away
 * failed every event in flight with one message, and 20,000 identical lines hid the one that mattered.
 */
export class ErrorLines {
  private run: { group: string; message: string; same: boolean; first: number; last: number; count: number } | null =
    null;

  /** `unit` names what the lines hold in a run's count (`events`, or `lines` for input that is not an event). */
  constructor(
    private readonly io: Pick<CliIo, 'stderr'>,
    private readonly unit = 'events',
  ) {}

  /**
   * One failed line. Messages with the same `group` make one run, shown with the first message when they differ.
   * Hint: JSON.parse names the position and quotes the line, so 5,000 bad lines were 5,000 different messages.
   */
  add(line: number, message: string, group = message): void {
    const run = this.run;
    if (run !== null && run.group === group) {
      run.first = Math.min(run.first, line);
      run.last = Math.max(run.last, line);
      run.count++;
      run.same &&= run.message === message;
      return;
    }
    this.flush();
    this.run = { group, message, same: true, first: line, last: line, count: 1 };
  }

  /** Write the run that is still open. */
  flush(): void {
    const run = this.run;
    this.run = null;
    if (run === null) return;
    if (run.count === 1) return void this.io.stderr.write(`line ${run.first}: ${run.message}\n`);
    const where = `lines ${run.first}–${run.last} (${run.count.toLocaleString('en-US')} ${this.unit})`;
    const detail = run.message.startsWith(`${run.group}: `) ? run.message.slice(run.group.length + 2) : run.message;
    const text = run.same ? run.message : `${run.group} (the first: ${detail})`;
    this.io.stderr.write(`${where}: ${text}\n`);
  }
}
