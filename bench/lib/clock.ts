/**
 * Wall-clock time in microseconds with sub-millisecond resolution, comparable across processes on one host.
 *
 * Hint: Date.now() is shared by all processes but has 1 ms steps; performance.now() is fine-grained but
 * per-process. Their offset is taken as the largest Date.now() − performance.now() over a few samples, which lands
 * within a few µs of the true offset once a millisecond boundary is crossed.
 */
function calibrate(): number {
  let best = Number.NEGATIVE_INFINITY;
  const started = performance.now();
  for (let i = 0; i < 100_000 && performance.now() - started < 3; i++) {
    const offset = Date.now() - performance.now();
    if (offset > best) best = offset;
  }
  return best;
}

const offsetMs = calibrate();

/** Microseconds since the Unix epoch (an integer, safe up to year 2255). */
export function nowMicros(): number {
  return Math.round((offsetMs + performance.now()) * 1000);
}
