import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AheadFrame } from '../src/persistence/eventLog.js';
import { FrameReaderThread, type Pace, type StreamPage } from '../src/persistence/frameReaderThread.js';
import { frameSql } from '../src/persistence/frameReads.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventFilter } from '../src/protocol/eventFilter.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { EVENT_TYPES } from '../src/protocol/eventTypes.js';

const TYPES = EVENT_TYPES.slice(0, 3);
const DAY_MS = 86_400_000;

let dir: string;
let log: SqliteEventLog;
let clock = 1_700_000_000_000;

/** Append `count` events of varied types and sources, the clock moving by up to two days between commits. */
function append(count: number, seed: number): void {
  const inputs: EventInput[] = [];
  for (let i = 0; i < count; i++) {
    const n = seed + i;
    inputs.push({
      id: null,
      event_type: TYPES[n % TYPES.length]!,
      source: n % 4 === 0 ? 'b' : 'a',
      session_id: `s${n % 5}`,
      user_id: n % 3 === 0 ? null : `u"${n}`,
      payloadJson: JSON.stringify({ n, text: 'ünï 😀'.repeat(n % 7) }),
    });
  }
  clock += (seed * 7_919) % (2 * DAY_MS);
  log.appendGroups([inputs]);
}

/** Every page of a stream until its end (null), asking for one more after each, as a replay does. */
function collect(from: number, filter: EventFilter, asked: number, window: number): Promise<AheadFrame[]> {
  return new Promise((resolve, reject) => {
    const pages: AheadFrame[] = [];
    const stream = log.readFramesAhead(from, filter, asked, window, (page) => {
      if (page === null) resolve(pages);
      else {
        pages.push(page);
        stream?.more();
      }
    });
    if (stream === null) reject(new Error('no stream'));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'frame-streams-'));
  let ids = 0;
  log = new SqliteEventLog({
    path: join(dir, 'events.db'),
    now: () => clock,
    newId: () => `gen-${++ids}`,
    newEpoch: () => 'e',
    indexer: 'inline',
  });
  for (let commit = 0; commit < 30; commit++) append(10 + (commit % 7), commit * 31);
});

afterAll(() => {
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

const filter: fc.Arbitrary<EventFilter> = fc.record(
  { event_types: fc.subarray(TYPES, { minLength: 1 }), source: fc.constantFrom('a', 'b') },
  { requiredKeys: [] },
);

describe('pages read ahead on the reader thread (readFramesAhead)', () => {
  it('are readFrameFrom of the same reads, each starting where the one before ended, and hold every match to the head', async () => {
    await fc.assert(
      fc.asyncProperty(
        filter,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat({ max: 200 }),
        async (f, asked, window, fromBack) => {
          const head = log.headOffset();
          const from = Math.max(1, head - fromBack);
          const pages = await collect(from, f, asked, window);
          let next = from;
          for (const page of pages) {
            expect(page.from).toBe(next);
            expect(page.upTo).toBe(Math.min(head, page.from + window - 1));
            const inline = log.readFrameFrom(page.from, f, page.asked, page.upTo);
            expect(page.frame).not.toBeNull();
            expect(Buffer.from(page.frame!.frame).equals(Buffer.from(inline!.frame))).toBe(true);
            expect([page.frame!.count, page.frame!.lastOffset]).toEqual([inline!.count, inline!.lastOffset]);
            next = page.frame!.count === page.asked ? page.frame!.lastOffset! + 1 : page.upTo + 1;
          }
          expect(next).toBe(head + 1);
          const records = pages.flatMap((page) =>
            page.frame!.count === 0 ? [] : (JSON.parse(Buffer.from(page.frame!.frame).toString('utf8')) as unknown[]),
          );
          const expected = log.readJsonFrom(from, f, 1_000_000).records.map((json) => JSON.parse(json) as unknown);
          expect(records).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('go on past the head they started at when more events are appended before they reach it', async () => {
    const head = log.headOffset();
    const pages: AheadFrame[] = [];
    const ended = new Promise<void>((resolve) => {
      const stream = log.readFramesAhead(head - 9, {}, 5, 1_000, (page) => {
        if (page === null) return resolve();
        pages.push(page);
        // Hint: after the first page, append; the one more page asked for reads up to the new head.
        if (pages.length === 1) append(12, 7);
        stream?.more();
      });
    });
    await ended;
    const offsets = pages.flatMap((page) =>
      (JSON.parse(Buffer.from(page.frame!.frame).toString('utf8')) as { offset: number }[]).map((r) => r.offset),
    );
    expect(offsets).toEqual(Array.from({ length: 22 }, (_, i) => head - 9 + i));
  });

  it('are not read for keyed filters, nor from beyond the head (the replay reads those inline)', () => {
    const noop = () => {};
    expect(log.readFramesAhead(1, { session_id: 's1' }, 10, 100, noop)).toBeNull();
    expect(log.readFramesAhead(1, { user_id: 'u"1' }, 10, 100, noop)).toBeNull();
    expect(log.readFramesAhead(log.headOffset() + 1, {}, 10, 100, noop)).toBeNull();
  });

  it('stop reaching their listener once cancelled, pages already on their way included', async () => {
    let after = 0;
    let cancelled = false;
    const first = new Promise<void>((resolve) => {
      const stream = log.readFramesAhead(1, {}, 3, 100, () => {
        if (cancelled) after++;
        cancelled = true;
        stream?.cancel();
        resolve();
      });
    });
    await first;
    // Hint: a second stream's whole run on the same thread comes after anything the first had on its way.
    const pages = await collect(1, {}, 50, 1_000);
    expect(pages.length).toBeGreaterThan(1);
    expect(after).toBe(0);
  });
});

describe('FrameReaderThread', () => {
  it('ends every stream (null) when its thread cannot open the log, and then takes no more', async () => {
    const thread = new FrameReaderThread(join(dir, 'missing.db'));
    const { sql, filterParams } = frameSql({});
    const spec = { sql, filterParams, from: 1, asked: 10, window: 100, head: 10, credits: 2 };
    const got = await new Promise<StreamPage | null>((resolve) => thread.stream(spec, resolve));
    expect(got).toBeNull();
    expect(thread.stream(spec, () => {})).toBeNull();
    thread.close();
  });

  it('hands pages on in slices of at most 2 ms per event-loop turn, one page at least', async () => {
    const turns: (() => void)[] = [];
    let now = 0;
    // Hint: every reading of the clock moves it 3 ms, so each turn delivers exactly one reply.
    const pace: Pace = { now: () => (now += 3), immediate: (fn) => turns.push(fn), later: () => () => {} };
    const thread = new FrameReaderThread(join(dir, 'events.db'), pace);
    const { sql, filterParams } = frameSql({});
    const delivered: (StreamPage | null)[] = [];
    thread.stream({ sql, filterParams, from: 1, asked: 4, window: 100, head: 10, credits: 5 }, (page) =>
      delivered.push(page),
    );
    // Three pages (1-4, 5-8, 9-10) and the end: wait until all four replies are queued.
    for (let i = 0; i < 500 && thread.queued < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(thread.queued).toBe(4);
    for (let turn = 1; turn <= 4; turn++) {
      expect(turns).toHaveLength(1);
      turns.shift()!();
      expect(delivered).toHaveLength(turn);
    }
    expect(turns).toHaveLength(0);
    expect(delivered.map((page) => page?.from ?? null)).toEqual([1, 5, 9, null]);
    thread.close();
  });

  it('ends once no stream has been open for its idle period, and starts again for the next stream', async () => {
    const timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
    const pace: Pace = {
      now: () => performance.now(),
      immediate: (fn) => setImmediate(fn),
      later: (ms, fn) => {
        const timer = { ms, fn, cancelled: false };
        timers.push(timer);
        return () => {
          timer.cancelled = true;
        };
      },
    };
    const thread = new FrameReaderThread(join(dir, 'events.db'), pace);
    const { sql, filterParams } = frameSql({});
    const spec = { sql, filterParams, from: 1, asked: 4, window: 100, head: 10, credits: 5 };
    /** A whole stream's pages, as the first offset of each (null: the end). */
    const run = () =>
      new Promise<(number | null)[]>((resolve) => {
        const froms: (number | null)[] = [];
        thread.stream(spec, (page) => {
          froms.push(page?.from ?? null);
          if (page === null) resolve(froms);
        });
      });
    expect(await run()).toEqual([1, 5, 9, null]);
    expect(thread.running).toBe(true);
    // The end of the only stream armed the idle timer; a new stream before it fires cancels it.
    expect(timers.map((t) => [t.ms, t.cancelled])).toEqual([[10_000, false]]);
    expect(await run()).toEqual([1, 5, 9, null]);
    expect(timers.map((t) => t.cancelled)).toEqual([true, false]);
    timers[1]!.fn();
    expect(thread.running).toBe(false);
    // The next stream starts a new thread, which reads the same pages.
    expect(await run()).toEqual([1, 5, 9, null]);
    expect(thread.running).toBe(true);
    thread.close();
  });
});
