/** Counts a publisher's unsettled publishes, so that flush() can wait until none is left. */
export class UnsettledCount {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** One more publish awaits its ack. */
  add(): void {
    this.count++;
  }

  /** One publish settled; true when none is left (every waiter is woken then). */
  settle(): boolean {
    if (--this.count > 0) return false;
    for (const wake of this.waiters.splice(0)) wake();
    return true;
  }

  /** Resolves once no publish is unsettled (at once when none is). */
  async drained(): Promise<void> {
    while (this.count > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
