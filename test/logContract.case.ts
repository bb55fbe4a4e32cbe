import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventLog, GroupOutcome } from '../src/persistence/eventLog.js';
import { type EventFilter, matchesFilter } from '../src/protocol/eventFilter.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import type { EventQuery } from '../src/protocol/eventQuery.js';
import type { StoredEvent } from '../src/protocol/eventRecord.js';
import { EVENT_TYPES, type EventType } from '../src/protocol/eventTypes.js';

/** What the contract injects into every log it opens, so runs are deterministic. */
export interface LogDeps {
  readonly now: () => number;
  readonly newId: () => string;
  readonly newEpoch: () => string;
}

/** Opens the log stored at `path`; called again with the same path to simulate a restart. */
export type OpenLog = (path: string, deps: LogDeps) => EventLog;

const BASE_TIME = Date.UTC(2026, 0, 31, 12);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const RUNS = { numRuns: 40 };

/** One log in its own temp dir, with a clock and id generators the test controls. */
class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), 'log-contract-'));
  readonly path = join(this.dir, 'events.db');
  time = BASE_TIME;
  private ids = 0;
  private epochs = 0;
  readonly deps: LogDeps = {
    now: () => this.time,
    newId: () => `gen-${++this.ids}`,
    newEpoch: () => `epoch-${++this.epochs}`,
  };
  log: EventLog;

  constructor(private readonly open: OpenLog) {
    this.log = open(this.path, this.deps);
  }

  reopen(): void {
    this.log.close();
    this.log = this.open(this.path, this.deps);
  }

  dispose(): void {
    this.log.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function withHarness<T>(open: OpenLog, body: (h: Harness) => T): T {
  const h = new Harness(open);
  try {
    return body(h);
  } finally {
    h.dispose();
  }
}

/** An EventInput with defaults for the fields a test does not care about. */
function input(fields: Partial<EventInput> = {}): EventInput {
  return {
    id: null,
    event_type: 'quiz_started',
    source: 'svc',
    session_id: null,
    user_id: null,
    payloadJson: '{}',
    ...fields,
  };
}

function appendOne(log: EventLog, group: readonly EventInput[]): Extract<GroupOutcome, { ok: true }> {
  const [outcome] = log.appendGroups([group]);
  if (outcome === undefined || !outcome.ok) throw new Error(`append failed: ${JSON.stringify(outcome)}`);
  return outcome;
}

function everything(log: EventLog): StoredEvent[] {
  return log.readFrom(0, {}, Number.MAX_SAFE_INTEGER);
}

function sameContent(a: EventInput | StoredEvent, b: EventInput): boolean {
  return (
    a.event_type === b.event_type &&
    a.source === b.source &&
    a.session_id === b.session_id &&
    a.user_id === b.user_id &&
    a.payloadJson === b.payloadJson
  );
}

function expectContent(event: StoredEvent, from: EventInput): void {
  expect({ ...event, offset: 0, ts: 0, id: from.id ?? event.id }).toEqual({ ...from, offset: 0, ts: 0, id: event.id });
}

// ---- arbitraries ----

const TYPES = EVENT_TYPES.slice(0, 5);
const SESSIONS = ['s1', 's2', 's3'];
const USERS = ['u1', 'u2', 'u3'];
const SOURCES = ['quiz', 'timer', 'tutor'];
const PRODUCER_IDS = ['p1', 'p2', 'p3', 'p4'];

const payloadArb = fc.oneof(
  fc.constant('{}'),
  fc
    .dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
    .map((p) => JSON.stringify(p)),
);

function inputArb(ids: fc.Arbitrary<string | null>): fc.Arbitrary<EventInput> {
  return fc.record({
    id: ids,
    event_type: fc.constantFrom(...TYPES),
    source: fc.constantFrom(...SOURCES),
    session_id: fc.option(fc.constantFrom(...SESSIONS), { nil: null }),
    user_id: fc.option(fc.constantFrom(...USERS), { nil: null }),
    payloadJson: payloadArb,
  });
}

/** Inputs without producer ids: every one is appended. */
const freshInput = inputArb(fc.constant(null));
const groupsArb = (input: fc.Arbitrary<EventInput>) =>
  fc.array(fc.array(input, { maxLength: 5 }), { minLength: 1, maxLength: 3 });

type Step =
  | { readonly kind: 'append'; readonly groups: EventInput[][]; readonly advance: number }
  | { readonly kind: 'reopen' }
  | { readonly kind: 'indexTail' };

function stepsArb(input: fc.Arbitrary<EventInput>, advance: fc.Arbitrary<number>): fc.Arbitrary<Step[]> {
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), groups: groupsArb(input), advance }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'indexTail' as const }) },
    ),
    { maxLength: 8 },
  );
}

/** Run non-append steps; for append steps advance the clock and return the outcomes. */
function runStep(h: Harness, step: Step): GroupOutcome[] | null {
  if (step.kind === 'reopen') h.reopen();
  else if (step.kind === 'indexTail') h.log.indexTail();
  else {
    h.time += step.advance;
    return h.log.appendGroups(step.groups);
  }
  return null;
}

/** Apply steps of id-less inputs; every input must be appended. Returns everything appended, in order. */
function applyFresh(h: Harness, steps: readonly Step[]): StoredEvent[] {
  const all: StoredEvent[] = [];
  for (const step of steps) {
    const outcomes = runStep(h, step);
    if (outcomes === null || step.kind !== 'append') continue;
    expect(outcomes).toHaveLength(step.groups.length);
    outcomes.forEach((outcome, g) => {
      if (!outcome.ok) throw new Error('an id-less group cannot conflict');
      expect(outcome.records).toEqual(outcome.appended);
      all.push(...outcome.appended);
      expect(outcome.appended).toHaveLength(step.groups[g]!.length);
    });
  }
  return all;
}

const filterArb: fc.Arbitrary<EventFilter> = fc.record(
  {
    event_types: fc.subarray([...TYPES, 'timer_tick' as EventType]),
    session_id: fc.constantFrom(...SESSIONS, 's-none'),
    user_id: fc.constantFrom(...USERS, 'u-none'),
    source: fc.constantFrom(...SOURCES, 'nobody'),
  },
  { requiredKeys: [] },
);

/** The reference: filter everything appended in memory. */
function naiveQuery(all: readonly StoredEvent[], query: EventQuery): StoredEvent[] {
  const hits = all.filter(
    (e) =>
      matchesFilter(query.filter, e) &&
      (query.after_offset === undefined || e.offset > query.after_offset) &&
      (query.before_offset === undefined || e.offset < query.before_offset) &&
      (query.since === undefined || e.ts >= query.since) &&
      (query.until === undefined || e.ts <= query.until),
  );
  if (query.order === 'desc') hits.reverse();
  return hits.slice(0, query.limit);
}

function naiveStats(retained: readonly StoredEvent[], head: number, now: number) {
  const byType = new Map<EventType, { count: number; last_seen: number }>();
  for (const e of retained) {
    const stat = byType.get(e.event_type) ?? { count: 0, last_seen: Number.NEGATIVE_INFINITY };
    byType.set(e.event_type, { count: stat.count + 1, last_seen: Math.max(stat.last_seen, e.ts) });
  }
  return {
    total_events: retained.length,
    events_last_hour: retained.filter((e) => e.ts >= now - HOUR).length,
    head_offset: head,
    first_offset: retained[0]?.offset ?? head + 1,
    by_type: [...byType]
      .map(([event_type, stat]) => ({ event_type, ...stat }))
      .sort((a, b) => a.event_type.localeCompare(b.event_type)),
  };
}

function expectStats(log: EventLog, retained: readonly StoredEvent[], head: number, now: number): void {
  const stats = log.stats(now);
  const { by_type, ...figures } = naiveStats(retained, head, now);
  expect(stats).toMatchObject(figures);
  expect([...stats.by_type].sort((a, b) => a.event_type.localeCompare(b.event_type))).toEqual(by_type);
  for (let i = 1; i < stats.by_type.length; i++)
    expect(stats.by_type[i - 1]!.count).toBeGreaterThanOrEqual(stats.by_type[i]!.count);
  expect(log.headOffset()).toBe(head);
  expect(log.firstOffset()).toBe(figures.first_offset);
}

/** The log's contract, written once and run against every EventLog implementation. */
export function runLogContract(name: string, open: OpenLog): void {
  describe(`EventLog contract: ${name}`, () => {
    describe('offsets', () => {
      it('starts empty at offset 1 with head 0', () => {
        withHarness(open, (h) => {
          expect(h.log.headOffset()).toBe(0);
          expect(h.log.firstOffset()).toBe(1);
          expect(everything(h.log)).toEqual([]);
          expect(appendOne(h.log, [input()]).appended[0]!.offset).toBe(1);
        });
      });

      it('are gap-free and grow by exactly 1 across any sequence of appendGroups calls', () => {
        fc.assert(
          fc.property(stepsArb(freshInput, fc.nat(5)), (steps) =>
            withHarness(open, (h) => {
              const all = applyFresh(h, steps);
              expect(all.map((e) => e.offset)).toEqual(all.map((_, i) => i + 1));
              expect(h.log.headOffset()).toBe(all.length);
              expect(h.log.firstOffset()).toBe(1);
            }),
          ),
          RUNS,
        );
      });

      it('treat an empty call and empty groups as no-ops', () => {
        withHarness(open, (h) => {
          expect(h.log.appendGroups([])).toEqual([]);
          expect(h.log.appendGroups([[], []])).toEqual([
            { ok: true, records: [], appended: [] },
            { ok: true, records: [], appended: [] },
          ]);
          expect(h.log.headOffset()).toBe(0);
          expect(appendOne(h.log, [input()]).appended[0]!.offset).toBe(1);
        });
      });
    });

    describe('read after append', () => {
      it('getById and readFrom return exactly what was appended', () => {
        fc.assert(
          fc.property(stepsArb(freshInput, fc.nat(5)), (steps) =>
            withHarness(open, (h) => {
              const inputs = steps.flatMap((step) => (step.kind === 'append' ? step.groups.flat() : []));
              const all = applyFresh(h, steps);
              for (const [i, event] of all.entries()) expectContent(event, inputs[i]!);
              expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
              expect(everything(h.log)).toEqual(all);
              for (const event of all) expect(h.log.getById(event.id)).toEqual(event);
              expect(h.log.getById('never-appended')).toBeNull();
            }),
          ),
          RUNS,
        );
      });

      it('keeps payloadJson byte for byte', () => {
        withHarness(open, (h) => {
          const payloadJson = '{"text":"é\\"😀\\u0000","n":1.5e+300,"nested":{"a":[null,true]}}';
          const [event] = appendOne(h.log, [input({ payloadJson, session_id: 'ü "s"', user_id: '😀' })]).appended;
          expect(h.log.getById(event!.id)?.payloadJson).toBe(payloadJson);
          h.reopen();
          expect(h.log.readFrom(1, { session_id: 'ü "s"', user_id: '😀' }, 10)).toEqual([event]);
        });
      });
    });

    describe('queries', () => {
      const queryArb: fc.Arbitrary<EventQuery> = fc.record(
        {
          filter: filterArb,
          limit: fc.integer({ min: 1, max: 60 }),
          order: fc.constantFrom('asc' as const, 'desc' as const),
          since: fc.integer({ min: BASE_TIME - 2, max: BASE_TIME + 45 }),
          until: fc.integer({ min: BASE_TIME - 2, max: BASE_TIME + 45 }),
          after_offset: fc.nat(70),
          before_offset: fc.nat(70),
        },
        { requiredKeys: ['filter', 'limit', 'order'] },
      );

      it('query agrees with a naive filter over everything appended', () => {
        fc.assert(
          fc.property(
            stepsArb(freshInput, fc.nat(5)),
            fc.array(queryArb, { minLength: 1, maxLength: 15 }),
            (steps, queries) =>
              withHarness(open, (h) => {
                const all = applyFresh(h, steps);
                for (const query of queries) expect(h.log.query(query)).toEqual(naiveQuery(all, query));
              }),
          ),
          RUNS,
        );
      });

      it('readFrom agrees with a naive filter over everything appended', () => {
        fc.assert(
          fc.property(
            stepsArb(freshInput, fc.nat(5)),
            fc.array(fc.tuple(fc.nat(70), filterArb, fc.integer({ min: 1, max: 60 })), { minLength: 1, maxLength: 15 }),
            (steps, reads) =>
              withHarness(open, (h) => {
                const all = applyFresh(h, steps);
                for (const [from, filter, limit] of reads) {
                  const expected = all.filter((e) => e.offset >= from && matchesFilter(filter, e)).slice(0, limit);
                  expect(h.log.readFrom(from, filter, limit)).toEqual(expected);
                }
              }),
          ),
          RUNS,
        );
      });
    });

    describe('restart and retention', () => {
      type LifeStep = Step | { readonly kind: 'deleteAll' };
      const lifeArb: fc.Arbitrary<LifeStep[]> = fc.array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              kind: fc.constant('append' as const),
              groups: groupsArb(freshInput),
              advance: fc.nat(5),
            }),
          },
          { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
          { weight: 1, arbitrary: fc.constant({ kind: 'indexTail' as const }) },
          { weight: 2, arbitrary: fc.constant({ kind: 'deleteAll' as const }) },
        ),
        { maxLength: 10 },
      );

      it('never reuses an offset across reopen and deleteBefore(undefined), and keeps the epoch', () => {
        fc.assert(
          fc.property(lifeArb, (steps) =>
            withHarness(open, (h) => {
              const epoch = h.log.epoch;
              let head = 0;
              let retained: StoredEvent[] = [];
              for (const step of steps) {
                if (step.kind === 'deleteAll') {
                  expect(h.log.deleteBefore(undefined)).toBe(retained.length);
                  for (const gone of retained) expect(h.log.getById(gone.id)).toBeNull();
                  retained = [];
                  continue;
                }
                const outcomes = runStep(h, step);
                for (const outcome of outcomes ?? []) {
                  if (!outcome.ok) throw new Error('an id-less group cannot conflict');
                  for (const event of outcome.appended) expect(event.offset).toBe(++head);
                  retained.push(...outcome.appended);
                }
                expect(h.log.epoch).toBe(epoch);
                expect(h.log.headOffset()).toBe(head);
                expect(h.log.firstOffset()).toBe(retained[0]?.offset ?? head + 1);
                expect(everything(h.log)).toEqual(retained);
              }
              h.reopen();
              expect(h.log.epoch).toBe(epoch);
              expect(h.log.headOffset()).toBe(head);
              expect(everything(h.log)).toEqual(retained);
              expect(appendOne(h.log, [input()]).appended[0]!.offset).toBe(head + 1);
            }),
          ),
          RUNS,
        );
      });

      it('continues from the last offset after deleting everything and reopening', () => {
        withHarness(open, (h) => {
          appendOne(h.log, [input(), input(), input()]);
          expect(h.log.deleteBefore(undefined)).toBe(3);
          expect(h.log.headOffset()).toBe(3);
          expect(h.log.firstOffset()).toBe(4);
          h.reopen();
          expect(h.log.headOffset()).toBe(3);
          expect(h.log.firstOffset()).toBe(4);
          expect(h.log.stats(h.time)).toMatchObject({ total_events: 0, head_offset: 3, first_offset: 4, by_type: [] });
          expect(appendOne(h.log, [input()]).appended[0]!.offset).toBe(4);
          expect(h.log.deleteBefore(undefined)).toBe(1);
          expect(h.log.deleteBefore(undefined)).toBe(0);
          h.reopen();
          expect(appendOne(h.log, [input()]).appended[0]!.offset).toBe(5);
        });
      });

      it('makes the epoch once and keeps it across reopen', () => {
        withHarness(open, (h) => {
          expect(h.log.epoch).toBe('epoch-1');
          h.reopen();
          h.reopen();
          expect(h.log.epoch).toBe('epoch-1');
        });
      });
    });

    describe('idempotent producer ids', () => {
      it('returns the original record for the same id and content, appending nothing', () => {
        withHarness(open, (h) => {
          const original = appendOne(h.log, [input({ id: 'p1', payloadJson: '{"a":1}' })]).records[0]!;
          h.time += 1000;
          const again = appendOne(h.log, [input({ id: 'p1', payloadJson: '{"a":1}' })]);
          expect(again).toEqual({ ok: true, records: [original], appended: [] });
          h.reopen();
          h.log.indexTail();
          expect(appendOne(h.log, [input({ id: 'p1', payloadJson: '{"a":1}' })])).toEqual({
            ok: true,
            records: [original],
            appended: [],
          });
          expect(h.log.headOffset()).toBe(1);
        });
      });

      it('answers a resend under the id the log generated with that record, before and after indexing and restart', () => {
        withHarness(open, (h) => {
          const content = { payloadJson: '{"a":1}', session_id: 's1' };
          const original = appendOne(h.log, [input(content)]).records[0]!;
          const resend = () => h.log.appendGroups([[input({ ...content, id: original.id })]]);
          expect(resend()).toEqual([{ ok: true, records: [original], appended: [] }]);
          for (let i = 0; i < 7; i++) appendOne(h.log, [input()]);
          h.log.indexTail();
          expect(resend()).toEqual([{ ok: true, records: [original], appended: [] }]);
          h.reopen();
          h.log.indexTail();
          expect(resend()).toEqual([{ ok: true, records: [original], appended: [] }]);
          expect(h.log.appendGroups([[input({ id: original.id, payloadJson: '{"a":2}' })]])).toEqual([
            { ok: false, conflict: { index: 0, id: original.id } },
          ]);
          expect(h.log.getById(original.id)).toEqual(original);
          expect(h.log.headOffset()).toBe(8);
        });
      });

      it('reports a conflict for the same id with different content', () => {
        withHarness(open, (h) => {
          appendOne(h.log, [input({ id: 'p1' })]);
          for (const changed of [
            { payloadJson: '{"a":2}' },
            { event_type: 'timer_tick' as const },
            { source: 'other' },
            { session_id: 's1' },
            { user_id: 'u1' },
          ]) {
            expect(h.log.appendGroups([[input({ id: 'p0' }), input({ id: 'p1', ...changed })]])).toEqual([
              { ok: false, conflict: { index: 1, id: 'p1' } },
            ]);
          }
          expect(h.log.headOffset()).toBe(1);
          expect(h.log.getById('p0')).toBeNull();
        });
      });

      it('treats a resend with payload keys reordered (at any depth) as a duplicate, and any real change as a conflict', () => {
        // Hint: a JSON object with its keys shuffled at every level; arrays keep their order.
        const shuffled = (value: unknown, seed: number): unknown => {
          if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
          if (value === null || typeof value !== 'object') return value;
          const entries = Object.entries(value as Record<string, unknown>);
          const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!).reverse();
          return Object.fromEntries(rotated.map(([k, v]) => [k, shuffled(v, seed + 1)]));
        };
        const payload = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), {
          minKeys: 1,
          maxKeys: 6,
        });
        withHarness(open, (h) => {
          let n = 0;
          fc.assert(
            fc.property(payload, fc.nat(50), fc.string({ minLength: 1, maxLength: 5 }), (value, seed, extraKey) => {
              const id = `perm-${++n}`;
              const original = appendOne(h.log, [input({ id, payloadJson: JSON.stringify(value) })]).records[0]!;
              const resend = JSON.stringify(shuffled(value, seed));
              expect(appendOne(h.log, [input({ id, payloadJson: resend })])).toEqual({
                ok: true,
                records: [original],
                appended: [],
              });
              // Within one group the same comparison applies.
              expect(
                h.log.appendGroups([
                  [
                    input({ id: `${id}-g`, payloadJson: JSON.stringify(value) }),
                    input({ id: `${id}-g`, payloadJson: resend }),
                  ],
                ])[0]?.ok,
              ).toBe(true);
              const changed = { ...value, [extraKey in value ? `${extraKey}!` : extraKey]: 1 };
              expect(h.log.appendGroups([[input({ id, payloadJson: JSON.stringify(changed) })]])).toEqual([
                { ok: false, conflict: { index: 0, id } },
              ]);
              const [firstKey] = Object.keys(value);
              const altered = { ...value, [firstKey!]: ['changed', value[firstKey!]] };
              expect(h.log.appendGroups([[input({ id, payloadJson: JSON.stringify(altered) })]])).toEqual([
                { ok: false, conflict: { index: 0, id } },
              ]);
            }),
            { numRuns: 60 },
          );
        });
      });

      it('rejects only the conflicting group; other groups in the same call commit', () => {
        withHarness(open, (h) => {
          const original = appendOne(h.log, [input({ id: 'p1' })]).records[0]!;
          const [before, bad, after] = h.log.appendGroups([
            [input({ id: 'a' }), input()],
            [input({ id: 'b' }), input(), input({ id: 'p1', payloadJson: '{"x":1}' }), input()],
            [input({ id: 'p1' }), input({ id: 'c' })],
          ]);
          expect(bad).toEqual({ ok: false, conflict: { index: 2, id: 'p1' } });
          expect(before?.ok && before.appended.map((e) => e.offset)).toEqual([2, 3]);
          expect(after).toEqual({
            ok: true,
            records: [original, expect.objectContaining({ id: 'c', offset: 4 })],
            appended: [expect.objectContaining({ id: 'c' })],
          });
          expect(h.log.getById('b')).toBeNull();
          expect(everything(h.log).map((e) => e.offset)).toEqual([1, 2, 3, 4]);
        });
      });

      it('appends a repeated id once within a group and across groups of one call', () => {
        withHarness(open, (h) => {
          const [first, second] = h.log.appendGroups([
            [input({ id: 'p1' }), input({ id: 'p1' })],
            [input({ id: 'p1' })],
          ]);
          expect(first?.ok && first.appended).toHaveLength(1);
          const record = first?.ok ? first.appended[0] : undefined;
          expect(first).toEqual({ ok: true, records: [record, record], appended: [record] });
          expect(second).toEqual({ ok: true, records: [record], appended: [] });
          expect(h.log.appendGroups([[input({ id: 'p2' }), input({ id: 'p2', user_id: 'u9' })]])).toEqual([
            { ok: false, conflict: { index: 1, id: 'p2' } },
          ]);
          expect(h.log.headOffset()).toBe(1);
        });
      });

      it('appends nothing when an already stored id repeats within one group', () => {
        withHarness(open, (h) => {
          const original = appendOne(h.log, [input({ id: 'p1' })]).records[0]!;
          expect(appendOne(h.log, [input({ id: 'p1' }), input({ id: 'p1' })])).toEqual({
            ok: true,
            records: [original, original],
            appended: [],
          });
          expect(h.log.headOffset()).toBe(1);
          expect(h.log.readFrom(1, {}, 10)).toEqual([original]);
        });
      });

      it('agrees with a model of first-write-wins ids over any sequence of calls', () => {
        const idInput = inputArb(fc.option(fc.constantFrom(...PRODUCER_IDS), { nil: null, freq: 3 })).map((e) =>
          // Hint: few distinct contents per id, so repeats are often exact duplicates rather than conflicts.
          e.id === null ? e : { ...e, session_id: null, user_id: null, payloadJson: '{}', source: 'quiz' },
        );
        fc.assert(
          fc.property(stepsArb(idInput, fc.nat(3)), (steps) =>
            withHarness(open, (h) => {
              const known = new Map<string, StoredEvent>();
              const all: StoredEvent[] = [];
              for (const step of steps) {
                const outcomes = runStep(h, step);
                if (outcomes === null || step.kind !== 'append') continue;
                step.groups.forEach((group, g) => {
                  const outcome = outcomes[g]!;
                  const seen = new Map<string, EventInput>();
                  let conflict: { index: number; id: string } | null = null;
                  for (let i = 0; i < group.length && conflict === null; i++) {
                    const { id } = group[i]!;
                    if (id === null) continue;
                    const earlier = seen.get(id) ?? known.get(id);
                    if (earlier !== undefined && !sameContent(earlier, group[i]!)) conflict = { index: i, id };
                    seen.set(id, group[i]!);
                  }
                  if (conflict !== null) {
                    expect(outcome).toEqual({ ok: false, conflict });
                    return;
                  }
                  if (!outcome.ok) throw new Error(`unexpected conflict ${JSON.stringify(outcome.conflict)}`);
                  const records: StoredEvent[] = [];
                  const appended: StoredEvent[] = [];
                  group.forEach((item, i) => {
                    const prior = item.id === null ? undefined : known.get(item.id);
                    if (prior !== undefined) {
                      records.push(prior);
                      return;
                    }
                    const record = outcome.records[i]!;
                    expect(record.offset).toBe(all.length + 1);
                    expectContent(record, item);
                    if (item.id !== null) known.set(item.id, record);
                    records.push(record);
                    appended.push(record);
                    all.push(record);
                  });
                  expect(outcome.records).toEqual(records);
                  expect(outcome.appended).toEqual(appended);
                });
              }
              expect(everything(h.log)).toEqual(all);
              for (const [id, record] of known) expect(h.log.getById(id)).toEqual(record);
            }),
          ),
          { numRuns: 60 },
        );
      });
    });

    describe('timestamps', () => {
      type ClockStep = Step | { readonly kind: 'setClock'; readonly time: number };
      const clockArb: fc.Arbitrary<ClockStep[]> = fc.array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              kind: fc.constant('append' as const),
              groups: groupsArb(freshInput),
              advance: fc.constant(0),
            }),
          },
          {
            weight: 3,
            arbitrary: fc.record({
              kind: fc.constant('setClock' as const),
              time: fc.integer({ min: BASE_TIME - 50, max: BASE_TIME + 50 }),
            }),
          },
          { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
        ),
        { maxLength: 12 },
      );

      it('never decrease in offset, even when the clock goes backwards', () => {
        fc.assert(
          fc.property(clockArb, (steps) =>
            withHarness(open, (h) => {
              let latest = Number.NEGATIVE_INFINITY;
              const all: StoredEvent[] = [];
              for (const step of steps) {
                if (step.kind === 'setClock') {
                  h.time = step.time;
                  continue;
                }
                const appended = (runStep(h, step) ?? []).flatMap((outcome) => (outcome.ok ? outcome.appended : []));
                if (appended.length > 0) latest = Math.max(latest, h.time);
                // Hint: a commit is stamped with the clock unless that would go back in time.
                for (const event of appended) expect(event.ts).toBe(latest);
                all.push(...appended);
              }
              const stored = everything(h.log);
              expect(stored).toEqual(all);
              for (let i = 1; i < stored.length; i++) expect(stored[i]!.ts).toBeGreaterThanOrEqual(stored[i - 1]!.ts);
            }),
          ),
          RUNS,
        );
      });

      it('since/until queries agree with a naive filter', () => {
        const rangeArb = fc.record(
          {
            since: fc.integer({ min: BASE_TIME - 55, max: BASE_TIME + 55 }),
            until: fc.integer({ min: BASE_TIME - 55, max: BASE_TIME + 55 }),
          },
          { requiredKeys: [] },
        );
        fc.assert(
          fc.property(
            clockArb,
            fc.array(fc.tuple(rangeArb, filterArb), { minLength: 1, maxLength: 10 }),
            (steps, ranges) =>
              withHarness(open, (h) => {
                const all: StoredEvent[] = [];
                for (const step of steps) {
                  if (step.kind === 'setClock') h.time = step.time;
                  else for (const outcome of runStep(h, step) ?? []) if (outcome.ok) all.push(...outcome.appended);
                }
                for (const [range, filter] of ranges) {
                  for (const order of ['asc', 'desc'] as const) {
                    const query: EventQuery = { ...range, filter, order, limit: 1000 };
                    expect(h.log.query(query)).toEqual(naiveQuery(all, query));
                  }
                }
              }),
          ),
          RUNS,
        );
      });
    });

    describe('stats and deleteBefore', () => {
      type StatsStep = Step | { readonly kind: 'deleteBefore'; readonly ago: number | undefined };
      const statsArb: fc.Arbitrary<StatsStep[]> = fc.array(
        fc.oneof(
          {
            weight: 5,
            arbitrary: fc.record({
              kind: fc.constant('append' as const),
              groups: groupsArb(inputArb(fc.constant(null))),
              advance: fc.integer({ min: 0, max: 40 * MINUTE }),
            }),
          },
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant('deleteBefore' as const),
              ago: fc.option(fc.integer({ min: -MINUTE, max: 3 * HOUR }), { nil: undefined, freq: 6 }),
            }),
          },
          { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
          { weight: 1, arbitrary: fc.constant({ kind: 'indexTail' as const }) },
        ),
        { maxLength: 12 },
      );

      const laterQueryArb: fc.Arbitrary<EventQuery> = fc.record(
        {
          filter: filterArb,
          limit: fc.integer({ min: 1, max: 100 }),
          order: fc.constantFrom('asc' as const, 'desc' as const),
          since: fc.integer({ min: BASE_TIME, max: BASE_TIME + 8 * HOUR }),
          until: fc.integer({ min: BASE_TIME, max: BASE_TIME + 8 * HOUR }),
          after_offset: fc.nat(120),
        },
        { requiredKeys: ['filter', 'limit', 'order'] },
      );

      it('agree with naive counts through appends, deletes and restarts', () => {
        fc.assert(
          fc.property(statsArb, fc.array(laterQueryArb, { maxLength: 5 }), (steps, queries) =>
            withHarness(open, (h) => {
              let head = 0;
              let retained: StoredEvent[] = [];
              expectStats(h.log, retained, head, h.time);
              for (const step of steps) {
                if (step.kind === 'deleteBefore') {
                  const before = step.ago === undefined ? undefined : h.time - step.ago;
                  const keep = retained.filter((e) => before !== undefined && e.ts >= before);
                  expect(h.log.deleteBefore(before)).toBe(retained.length - keep.length);
                  for (const gone of retained.slice(0, retained.length - keep.length))
                    expect(h.log.getById(gone.id)).toBeNull();
                  retained = keep;
                } else {
                  for (const outcome of runStep(h, step) ?? []) {
                    if (!outcome.ok) throw new Error('an id-less group cannot conflict');
                    retained.push(...outcome.appended);
                    head += outcome.appended.length;
                  }
                }
                expectStats(h.log, retained, head, h.time);
                expect(everything(h.log)).toEqual(retained);
              }
              expect(h.log.epoch).toBe('epoch-1');
              for (const query of queries) expect(h.log.query(query)).toEqual(naiveQuery(retained, query));
            }),
          ),
          RUNS,
        );
      });

      it('counts the last hour inclusively at its lower bound', () => {
        withHarness(open, (h) => {
          appendOne(h.log, [input()]);
          h.time += HOUR;
          appendOne(h.log, [input({ event_type: 'timer_tick' }), input({ event_type: 'timer_tick' })]);
          expect(h.log.stats(h.time)).toMatchObject({ total_events: 3, events_last_hour: 3 });
          expect(h.log.stats(h.time + 1)).toMatchObject({ total_events: 3, events_last_hour: 2 });
          expect(h.log.stats(h.time + HOUR + 1)).toMatchObject({ events_last_hour: 0 });
          expect(h.log.stats(h.time).by_type).toEqual([
            { event_type: 'timer_tick', count: 2, last_seen: h.time },
            { event_type: 'quiz_started', count: 1, last_seen: h.time - HOUR },
          ]);
          expect(h.log.deleteBefore(h.time)).toBe(1);
          expect(h.log.stats(h.time).by_type).toEqual([{ event_type: 'timer_tick', count: 2, last_seen: h.time }]);
        });
      });
    });

    describe('session statuses', () => {
      it('upserts statuses and lists them newest first, optionally by status', () => {
        withHarness(open, (h) => {
          h.log.saveSessionStatuses([]);
          h.log.saveSessionStatuses([
            { session_id: 's1', status: 'active', offset: 1 },
            { session_id: 's2', status: 'active', offset: 2 },
            { session_id: 's3', status: 'ended', offset: 3 },
          ]);
          h.log.saveSessionStatuses([{ session_id: 's1', status: 'ended', offset: 4 }]);
          expect(h.log.listSessions(undefined, 10).map((row) => row.session_id)).toEqual(['s1', 's3', 's2']);
          expect(h.log.listSessions('ended', 10)).toEqual([
            { session_id: 's1', status: 'ended', offset: 4 },
            { session_id: 's3', status: 'ended', offset: 3 },
          ]);
          expect(h.log.listSessions(undefined, 1)).toHaveLength(1);
          h.reopen();
          expect(h.log.listSessions('active', 10)).toEqual([{ session_id: 's2', status: 'active', offset: 2 }]);
        });
      });

      it('keeps the projection high-water with its rows: given, or noted for the next save, never going back', () => {
        withHarness(open, (h) => {
          expect(h.log.sessionsFoldedUpTo()).toBe(0);
          h.log.saveSessionStatuses([{ session_id: 's1', status: 'active', offset: 1 }], 5);
          expect(h.log.sessionsFoldedUpTo()).toBe(5);
          // A noted high-water is not saved by itself; the next save (even an empty one) records it.
          h.log.noteSessionsFolded(9);
          expect(h.log.sessionsFoldedUpTo()).toBe(5);
          h.log.saveSessionStatuses([]);
          expect(h.log.sessionsFoldedUpTo()).toBe(9);
          h.log.saveSessionStatuses([{ session_id: 's2', status: 'ended', offset: 3 }], 4);
          expect(h.log.sessionsFoldedUpTo()).toBe(9);
          h.reopen();
          expect(h.log.sessionsFoldedUpTo()).toBe(9);
          expect(h.log.listSessions(undefined, 10).map((row) => row.session_id)).toEqual(['s2', 's1']);
        });
      });

      it('retention drops the rows of sessions it leaves without records and queues those it cut into', () => {
        withHarness(open, (h) => {
          const at = (session_id: string) => {
            h.time += 1_000;
            return appendOne(h.log, [input({ session_id })]).appended[0]!.offset;
          };
          const offsets = [at('gone'), at('cut'), at('cut'), at('kept')];
          h.log.saveSessionStatuses(
            [
              { session_id: 'gone', status: 'active', offset: offsets[0]! },
              { session_id: 'cut', status: 'in_progress', offset: offsets[2]! },
              { session_id: 'kept', status: 'active', offset: offsets[3]! },
            ],
            undefined,
            [{ session_id: 'gone', snapshot: '{}' }],
          );
          expect(h.log.deleteBefore(h.time - 1_500)).toBe(2);
          expect(h.log.savedSession('gone')).toBeNull();
          expect(h.log.sessionsToRefold()).toEqual(['cut']);
          expect(h.log.listSessions(undefined, 10).map((row) => row.session_id)).toEqual(['kept', 'cut']);
          h.reopen();
          expect(h.log.sessionsToRefold()).toEqual(['cut']);
          h.log.saveRefolded(
            [{ session_id: 'cut', status: 'active', offset: offsets[2]!, snapshot: '{"n":3}' }],
            ['kept'],
          );
          expect(h.log.sessionsToRefold()).toEqual([]);
          expect(h.log.listSessions(undefined, 10)).toEqual([
            { session_id: 'cut', status: 'active', offset: offsets[2] },
          ]);
          // The refold's snapshot is saved with its row.
          expect(h.log.savedSession('cut')).toEqual({ status: 'active', snapshot: '{"n":3}' });
          // Queued by the caller (sessions whose rows the delete dropped while newer records were not in them).
          expect(h.log.sessionsToRefold(['late'])).toEqual(['late']);
          h.reopen();
          expect(h.log.sessionsToRefold()).toEqual(['late']);
        });
      });

      it("keeps each session's latest snapshot beside its status, without reordering the listing", () => {
        withHarness(open, (h) => {
          h.log.saveSessionStatuses([{ session_id: 's1', status: 'active', offset: 1 }], undefined, [
            { session_id: 's1', snapshot: '{"n":1}' },
          ]);
          h.log.saveSessionStatuses([{ session_id: 's2', status: 'ended', offset: 2 }]);
          h.log.saveSessionStatuses([], undefined, [{ session_id: 's1', snapshot: '{"n":2}' }]);
          expect(h.log.savedSession('s1')).toEqual({ status: 'active', snapshot: '{"n":2}' });
          expect(h.log.savedSession('s2')).toEqual({ status: 'ended', snapshot: null });
          expect(h.log.savedSession('s3')).toBeNull();
          expect(h.log.listSessions(undefined, 10).map((row) => row.session_id)).toEqual(['s2', 's1']);
          h.reopen();
          expect(h.log.savedSession('s1')).toEqual({ status: 'active', snapshot: '{"n":2}' });
        });
      });
    });

    it('reports itself writable while open and not after close', () => {
      withHarness(open, (h) => {
        expect(h.log.health()).toEqual({ writable: true, reason: null });
        h.log.close();
        expect(h.log.health().writable).toBe(false);
      });
    });

    it('answers ping while open and not after close', () => {
      const h = new Harness(open);
      try {
        expect(h.log.ping()).toBe(true);
        h.log.close();
        expect(h.log.ping()).toBe(false);
      } finally {
        h.dispose();
      }
    });
  });
}
