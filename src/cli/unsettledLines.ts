/**
 * The input lines handed to the publisher and not settled yet, for reporting failures in line order (ErrorLines):
 * lines are handed over in rising order and settle in any order. Memory is bounded by the publisher's window.
 */
export class UnsettledLines {
  private lines: number[] = [];
  private head = 0;
  /** Settled lines not yet dropped from the front of `lines`. */
  private readonly settledEarly = new Set<number>();

  /** `line` was handed over (each line once, in rising order). */
  handed(line: number): void {
    this.lines.push(line);
  }

  /** `line` was acknowledged or failed. */
  settled(line: number): void {
    this.settledEarly.add(line);
    while (this.head < this.lines.length && this.settledEarly.delete(this.lines[this.head]!)) this.head++;
    if (this.head === this.lines.length || this.head > 1024) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  /** The lowest line still unsettled (Infinity when every line handed over has settled). */
  lowest(): number {
    return this.lines[this.head] ?? Number.POSITIVE_INFINITY;
  }
}
