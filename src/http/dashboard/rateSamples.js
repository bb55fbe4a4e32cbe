// Events per second for the chart, from head offsets read whenever a poll's answer arrives (no DOM: unit-tested).

/**
 * Events per second between two head readings `{head, at}` (`at` in ms, when the reading arrived); null when it cannot
 * be known: no time passed, or the head went back (another log). Hint: the time is the readings' own, never the
 * sampling interval: a /stats answer 2.5 s late made the sampler read 0/s, then 2.5 s of events over 1 s.
 */
export function headRate(earlier, later) {
  const ms = later.at - earlier.at;
  const moved = later.head - earlier.head;
  return ms > 0 && moved >= 0 ? (moved * 1000) / ms : null;
}

/** One rate a second, the last `size` of them: each from the readings that arrived since the last one used. */
export class RateSamples {
  constructor(size) {
    this.size = size;
    /** The rates, oldest first, one per second. */
    this.values = [];
    this.latest = null;
    this.used = null;
    this.waiting = 0;
  }

  /** A head offset as read at `at` (ms, monotonic). */
  observe(head, at) {
    this.latest = { head, at };
  }

  /**
   * A second passed: the rate since the reading last used (null while no new one came). Hint: a rate that spans the
   * seconds no reading came in fills them too, so the chart keeps one sample a second and a late poll shows no dip.
   */
  tick() {
    const { latest, used } = this;
    if (latest === null || (used !== null && latest.at <= used.at)) {
      if (used !== null) this.waiting++;
      return null;
    }
    this.used = latest;
    const seconds = this.waiting + 1;
    this.waiting = 0;
    const rate = used === null ? null : headRate(used, latest);
    if (rate === null) return null;
    for (let i = 0; i < Math.min(seconds, this.size); i++) this.values.push(rate);
    if (this.values.length > this.size) this.values.splice(0, this.values.length - this.size);
    return rate;
  }
}
