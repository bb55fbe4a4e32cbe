import { appendFileSync, openSync, readSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * A preload for a bench server child that tells why its event loop stalled: every 1 ms it reads the main thread's
 * /proc/thread-self/schedstat (nanoseconds on a CPU, nanoseconds runnable but waiting for one), and for each gap
 * between two ticks longer than LOOP_GAPS_MIN_MS (4) inside the window [LOOP_GAPS_FROM_MS, LOOP_GAPS_TO_MS] of
 * process time (7,000-13,000) it notes how much of it the thread ran, how much it waited for a core, and how much of
 * it overlapped a garbage collection pause (the gc performance entries). At the window's end it appends one line per
 * gap and a sum over the gaps longer than 8 ms to LOOP_GAPS_OUT (/tmp/loop-gaps.txt). Linux only. Usage:
 *   BENCH_SERVER_NODE_ARGS="--import ./dist/bench/tools/loopGaps.js" npm run bench -- fanout-10k
 */
const min = Number(process.env.LOOP_GAPS_MIN_MS ?? 4);
const from = Number(process.env.LOOP_GAPS_FROM_MS ?? 7_000);
const to = Number(process.env.LOOP_GAPS_TO_MS ?? 13_000);
const out = process.env.LOOP_GAPS_OUT ?? '/tmp/loop-gaps.txt';

const fd = openSync('/proc/thread-self/schedstat', 'r');
const buffer = Buffer.alloc(128);
/** [ms on a CPU, ms waiting on the run queue] of this thread so far. */
function schedstat(): [number, number] {
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  const [onCpu = '0', waiting = '0'] = buffer.toString('latin1', 0, n).split(' ');
  return [Number(onCpu) / 1e6, Number(waiting) / 1e6];
}

/** Gaps: when the tick came (ms), how long after the last, ms on a CPU and ms waiting for one meanwhile. */
const gaps: [number, number, number, number][] = [];
const collections: [number, number][] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push([entry.startTime, entry.startTime + entry.duration]);
}).observe({ entryTypes: ['gc'] });
let last = performance.now();
let [lastCpu, lastWait] = schedstat();
setInterval(() => {
  const now = performance.now();
  const [cpu, wait] = schedstat();
  const gap = now - last;
  if (gap > min && now >= from && now <= to) gaps.push([now, gap, cpu - lastCpu, wait - lastWait]);
  last = now;
  lastCpu = cpu;
  lastWait = wait;
}, 1).unref();
setTimeout(() => {
  const long = { count: 0, ms: 0, onCpu: 0, waiting: 0, gc: 0 };
  const lines = gaps.map(([at, gap, onCpu, waiting]) => {
    let gc = 0;
    for (const [start, end] of collections) gc += Math.max(0, Math.min(end, at) - Math.max(start, at - gap));
    if (gap > 8) {
      long.count++;
      long.ms += gap;
      long.onCpu += onCpu;
      long.waiting += waiting;
      long.gc += gc;
    }
    return `${at.toFixed(0)} gap=${gap.toFixed(1)} oncpu=${onCpu.toFixed(1)} runqwait=${waiting.toFixed(1)} gc=${gc.toFixed(1)}`;
  });
  const ms = (n: number) => n.toFixed(0);
  lines.push(
    `gaps over 8 ms: ${long.count}, ${ms(long.ms)} ms in all: ${ms(long.onCpu)} ms on a CPU, ` +
      `${ms(long.waiting)} ms waiting for a CPU; GC pauses overlapped ${ms(long.gc)} ms of them`,
  );
  appendFileSync(out, `${lines.join('\n')}\n`);
}, to + 100).unref();
