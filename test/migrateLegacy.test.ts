import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventType } from '../src/protocol/eventTypes.js';
import { runMain } from './support/childServer.js';
import { CLI_BINARY, cli } from './support/cliRun.js';
import { type EventRecord, getJson, publish } from './support/httpCall.js';
import {
  directorySnapshot,
  type LegacyRow,
  pythonIsoformat,
  pythonJson,
  writeLegacyDatabase,
} from './support/legacyDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** 2026-01-05T10:00:00Z in epoch microseconds. */
const T0 = Date.parse('2026-01-05T10:00:00Z') * 1000;
const ZONES = ['Z', '+00:00', 'naive'] as const;

/** A good row of the FastAPI service's table, with the time it stands for (µs) and its payload as a value. */
interface Planned {
  readonly row: LegacyRow;
  readonly micros: number;
  readonly payload: Record<string, unknown>;
}

/**
 * About 300 events as the FastAPI service stored them: four sessions that go through their lifecycle (one with a
 * session id past ASCII), 20 more sessions and 30 users, payloads with text past ASCII and nesting, times in its three
 * forms (some without a fraction, some a microsecond apart, some equal), one payload NULL, one empty session_id.
 */
function plannedRows(): Planned[] {
  const planned: Planned[] = [];
  let micros = T0;
  const add = (event_type: EventType, session_id: string | null, user_id: string | null, step: number) => {
    micros += step;
    const n = planned.length;
    const payload = {
      quiz_id: `q-${session_id ?? 'none'}`,
      n,
      text: 'Brücke 🌉 ñ',
      nested: { a: [1, 2.5, null, true] },
    };
    const row = {
      ...{ id: `evt_${n.toString(16).padStart(12, '0')}`, event_type, source: 'quiz_engine', session_id, user_id },
      ...{ payload: pythonJson(payload), timestamp: pythonIsoformat(micros, ZONES[n % 3]) },
    };
    planned.push({ row, micros, payload });
  };
  const lifecycles: [string, EventType[]][] = [
    ['sess-ended', ['session_created', 'quiz_started', 'answer_submitted', 'quiz_completed', 'session_ended']],
    ['sess-progress', ['session_created', 'quiz_started', 'answer_submitted', 'answer_changed']],
    ['sess-timeout', ['quiz_started', 'timer_warning', 'quiz_timeout']],
    ['sess-ünï 🎓', ['quiz_started', 'question_viewed', 'quiz_completed']],
  ];
  const bulk: EventType[] = ['answer_submitted', 'question_viewed', 'timer_tick', 'mastery_updated'];
  for (let i = 0; i < 285; i++) {
    const [session, types] = lifecycles[i % 4]!;
    const lifecycle = i % 19 === 0 ? types.shift() : undefined;
    // Steps of 0 µs (equal times), 1 µs (same millisecond) and whole milliseconds (no fraction when it lands on 0).
    const step = [0, 1, 1_000, 12_345][i % 4]!;
    if (lifecycle !== undefined) add(lifecycle, session, `stu-${i % 30}`, step);
    else add(bulk[i % 4]!, `bulk-${i % 20}`, `stu-${i % 30}`, step);
  }
  for (const [session, types] of lifecycles) for (const type of types) add(type, session, 'stu-life', 7_777);
  add('error_occurred', null, null, 3);
  planned[planned.length - 1] = { ...planned[planned.length - 1]!, row: { ...planned.at(-1)!.row, payload: null } };
  planned.push({ ...planned[10]!, row: { ...planned[10]!.row, id: 'evt_emptysess', session_id: '' } });
  return planned;
}

/** Rows the migration must skip, each with the reason it names. */
const BAD: [LegacyRow, string][] = [
  [
    { ...base('evt_badjson'), payload: '{"score": NaN}' },
    'payload: is not valid JSON (Unexpected token \'N\', "{"score": NaN}" is not valid JSON)',
  ],
  [{ ...base('evt_badtype'), event_type: 'quiz_paused' }, 'event_type: unknown event type "quiz_paused"; allowed: '],
  [{ ...base('evt_badtime'), timestamp: 'yesterday' }, 'timestamp: is not an ISO 8601 time: "yesterday"'],
];

function base(id: string): LegacyRow {
  const row = { id, event_type: 'timer_tick', source: 'timer', session_id: 'bulk-1', user_id: null, payload: '{}' };
  return { ...row, timestamp: pythonIsoformat(T0 + 5_000_000) };
}

describe('event-pipeline migrate-legacy', () => {
  let dir: string;
  let server: TestServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-migrate-'));
    mkdirSync(join(dir, 'legacy'));
    mkdirSync(join(dir, 'new'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries every event over with its id, fields and time, in time order; the server serves them; the old file is unchanged', async () => {
    const planned = plannedRows();
    // Inserted out of time order (reversed blocks of 7), with the bad rows among them, as rowids then say.
    const good = planned.map((p) => p.row);
    const inserted = [...good.slice(0, 100), ...BAD.map(([row]) => row), ...good.slice(100)];
    const order = inserted.map((_, i) => i).sort((a, b) => Math.floor(a / 7) - Math.floor(b / 7) || b - a);
    const legacy = join(dir, 'legacy', 'events.db');
    writeLegacyDatabase(
      legacy,
      order.map((i) => inserted[i]!),
    );
    const rowidOf = new Map(order.map((i, at) => [inserted[i]!.id, at + 1]));
    const before = directorySnapshot(join(dir, 'legacy'));

    const target = join(dir, 'new', 'pipeline.db');
    const run = await cli(['migrate-legacy', '--from', legacy, '--to', target]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    for (const [row, reason] of BAD)
      expect(lines).toContainEqual(
        expect.stringContaining(`migrate-legacy: skipped rowid ${rowidOf.get(row.id!)} (id "${row.id}"): ${reason}`),
      );
    expect(lines.filter((line) => line.includes('skipped rowid'))).toHaveLength(3);
    expect(run.stderr).toContain(
      `migrated ${planned.length} of ${planned.length + 3} events from ${legacy} into ${target}`,
    );
    expect(run.stderr).toContain('3 rows skipped (named above)');
    expect(run.stderr).toContain('1 event had an empty session_id or user_id, which this log holds as null');
    expect(run.stderr).toContain('timestamps keep milliseconds');
    expect(directorySnapshot(join(dir, 'legacy'))).toEqual(before);

    // The oracle: by time to the microsecond, then by rowid; each record's time is that time cut to the millisecond.
    const expected = [...planned].sort(
      (a, b) => a.micros - b.micros || rowidOf.get(a.row.id!)! - rowidOf.get(b.row.id!)!,
    );
    server = await startTestServer({ DATABASE_PATH: target }, {}, join(dir, 'new'));
    const events = await getJson<EventRecord[]>(server.base, '/events?order=asc&limit=1000');
    expect(events.body).toEqual(
      expected.map(({ row, micros, payload }, i) => ({
        id: row.id,
        offset: i + 1,
        event_type: row.event_type,
        source: row.source,
        session_id: row.session_id === '' ? null : row.session_id,
        user_id: row.user_id,
        payload: row.payload === null ? {} : payload,
        timestamp: new Date(Math.floor(micros / 1000)).toISOString(),
      })),
    );
    // An old id is found by GET /events/{id}, and a producer that sends it again gets the record it names.
    const at = expected.findIndex((p) => p.row.session_id === 'sess-ünï 🎓');
    const one = expected[at]!;
    expect((await getJson<EventRecord>(server.base, `/events/${one.row.id}`)).body.offset).toBe(at + 1);
    const { id, event_type, source, session_id, user_id } = one.row;
    const resent = await publish(server.base, { id, event_type, source, session_id, user_id, payload: one.payload });
    expect([resent.status, resent.body.offset, resent.body.timestamp]).toEqual([
      200,
      at + 1,
      events.body[at]!.timestamp,
    ]);
    await expectSessions(server, expected);
    await expectStats(server, expected);
  });

  it('names the rows stamped later than now, whose time new events would inherit', async () => {
    const legacy = join(dir, 'legacy', 'events.db');
    // Hint: a year past any day this test runs (the summary compares with the clock when the migration ran).
    const later = new Date(Date.now() + 366 * 86_400_000).toISOString();
    writeLegacyDatabase(legacy, [base('evt_1'), { ...base('evt_2'), timestamp: later }]);
    const run = await cli(['migrate-legacy', '--from', legacy, '--to', join(dir, 'new', 'pipeline.db')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `1 event stamped later than now (the latest ${later}): this log's times never go back, so events published ` +
        'before then get that time',
    );
    mkdirSync(join(dir, 'past'));
    const past = join(dir, 'past', 'events.db');
    writeLegacyDatabase(past, [base('evt_1'), base('evt_2')]);
    const onTime = await cli(['migrate-legacy', '--from', past, '--to', join(dir, 'other', 'pipeline.db')]);
    expect(onTime.code).toBe(0);
    expect(onTime.stderr).not.toContain('stamped later than now');
  });

  it('skips an event whose id an earlier one has (a file without its primary key), in a batch and across batches', async () => {
    const legacy = join(dir, 'legacy', 'events.db');
    const at = (id: string, step: number): LegacyRow => ({ ...base(id), timestamp: pythonIsoformat(T0 + step) });
    // 5,000 events a transaction: the third evt_a comes after the first batch is written.
    const filler = Array.from({ length: 5_000 }, (_, i) => at(`evt_fill_${i}`, 10 + i));
    const rows = [at('evt_b', 5), at('evt_a', 1), at('evt_a', 2), ...filler, at('evt_a', 9_000), at('evt_b', 9_001)];
    writeLegacyDatabase(legacy, rows, { primaryKey: false });
    const target = join(dir, 'new', 'pipeline.db');
    const run = await cli(['migrate-legacy', '--from', legacy, '--to', target]);
    expect(run.code).toBe(1);
    const skipped = run.stderr.split('\n').filter((line) => line.includes('skipped rowid'));
    expect(skipped).toEqual([
      'migrate-legacy: skipped rowid 3 (id "evt_a"): id: is the id of rowid 2, which comes first in time: ids must be unique',
      'migrate-legacy: skipped rowid 5004 (id "evt_a"): id: is the id of the event migrated at offset 1, which comes first in time: ids must be unique',
      'migrate-legacy: skipped rowid 5005 (id "evt_b"): id: is the id of the event migrated at offset 2, which comes first in time: ids must be unique',
    ]);
    expect(run.stderr).toContain(`migrated 5,002 of 5,005 events from ${legacy} into ${target}`);
    server = await startTestServer({ DATABASE_PATH: target }, {}, join(dir, 'new'));
    const first = await getJson<EventRecord>(server.base, '/events/evt_a');
    expect(first.body).toMatchObject({ id: 'evt_a', timestamp: new Date((T0 + 1) / 1000).toISOString() });
    const oldest = await getJson<EventRecord[]>(server.base, '/events?order=asc&limit=3');
    expect(oldest.body.map((event) => event.id)).toEqual(['evt_a', 'evt_b', 'evt_fill_0']);
    const newest = await getJson<EventRecord[]>(server.base, '/events?order=desc&limit=1');
    expect(newest.body.map((event) => [event.id, event.offset])).toEqual([['evt_fill_4999', 5002]]);
  });

  it('stops at Ctrl-C after the batch under way, saying what is left; no server serves that partial log', async () => {
    const legacy = join(dir, 'legacy', 'events.db');
    const rows = Array.from({ length: 200_000 }, (_, i) => ({
      ...base(`evt_${i}`),
      timestamp: pythonIsoformat(T0 + i),
    }));
    writeLegacyDatabase(legacy, rows);
    const target = join(dir, 'new', 'pipeline.db');
    const proc = spawn(process.execPath, [CLI_BINARY, 'migrate-legacy', '--from', legacy, '--to', target], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => proc.once('close', resolve));
    // Interrupted once batches are being written (its WAL grows), as a user's Ctrl-C would.
    while ((statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 0) < 1_000_000)
      await new Promise((resolve) => setTimeout(resolve, 10));
    proc.kill('SIGINT');
    expect(await closed).toBe(130);
    // Before: the process ended at once, saying nothing, and a server served the part it had copied as a whole log.
    const told =
      /^migrate-legacy: interrupted after ([\d,]+) events; (\S+) holds a partial log, which a server refuses to open: delete it, with its -wal, -shm and \.index files, and run again\n$/.exec(
        stderr,
      );
    expect(told, stderr).not.toBeNull();
    expect(told?.[2]).toBe(target);
    const copied = Number(told?.[1]?.replaceAll(',', ''));
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(200_000);
    const refusal = `it holds a migration from ${legacy} that did not finish (${told?.[1]} events copied before it stopped): delete it, with its -wal, -shm and .index files, and run migrate-legacy again`;
    const start = await runMain({ DATABASE_PATH: target, PORT: '0' });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`configuration error: DATABASE_PATH: ${target}: ${refusal}`);
    const again = await cli(['migrate-legacy', '--from', legacy, '--to', target]);
    expect([again.code, again.stderr]).toEqual([2, `migrate-legacy: --to ${target}: ${refusal}\n`]);
  });

  it('refuses a target that holds events, or the old file itself, and changes neither', async () => {
    const legacy = join(dir, 'legacy', 'events.db');
    writeLegacyDatabase(legacy, [base('evt_1'), base('evt_2')]);
    const target = join(dir, 'new', 'pipeline.db');
    expect((await cli(['migrate-legacy', '--from', legacy, '--to', target])).code).toBe(0);
    const before = { legacy: directorySnapshot(join(dir, 'legacy')), target: directorySnapshot(join(dir, 'new')) };
    const again = await cli(['migrate-legacy', '--from', legacy, '--to', target]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `migrate-legacy: --to ${target}: already holds a log (offsets up to 2); migrate into a new file (a run that ` +
        'stopped part way leaves one: delete it, with its -wal, -shm and .index files, and run again)\n',
    );
    const onto = await cli(['migrate-legacy', '--from', legacy, '--to', legacy]);
    expect(onto.code).toBe(2);
    expect(onto.stderr).toBe(
      `migrate-legacy: --to ${legacy}: holds the FastAPI service's events (2 events): the new log must be another file\n`,
    );
    const back = await cli(['migrate-legacy', '--from', target, '--to', join(dir, 'new', 'other.db')]);
    expect(back.stderr).toContain('is already a log of this server');
    expect(directorySnapshot(join(dir, 'legacy'))).toEqual(before.legacy);
    expect(directorySnapshot(join(dir, 'new'))).toEqual(before.target);
  });
});

const STATUS_AFTER: Partial<Record<EventType, string>> = {
  session_created: 'created',
  quiz_started: 'in_progress',
  quiz_completed: 'completed',
  quiz_timeout: 'timed_out',
  session_ended: 'ended',
};

/** Each lifecycle session's view and the listing by status, as a fold of the expected records. */
async function expectSessions(server: TestServer, expected: readonly Planned[]): Promise<void> {
  const statuses: Record<string, string> = {};
  for (const session of ['sess-ended', 'sess-progress', 'sess-timeout', 'sess-ünï 🎓']) {
    const records = expected.filter((p) => p.row.session_id === session);
    let status = 'active';
    for (const { row } of records) if (status !== 'ended') status = STATUS_AFTER[row.event_type as EventType] ?? status;
    statuses[session] = status;
    const view = await getJson<{ status: string; event_count: number; user_ids: string[] }>(
      server.base,
      `/sessions/${encodeURIComponent(session)}`,
    );
    expect(view.body).toMatchObject({
      status,
      event_count: records.length,
      user_ids: [...new Set(records.map((p) => p.row.user_id))],
    });
  }
  expect(statuses).toEqual({
    'sess-ended': 'ended',
    'sess-progress': 'in_progress',
    'sess-timeout': 'timed_out',
    'sess-ünï 🎓': 'completed',
  });
  // The listing reads the statuses the migration folded.
  const ended = await getJson<{ session_id: string }[]>(server.base, '/sessions?status=ended');
  expect(ended.body.map((view) => view.session_id)).toEqual(['sess-ended']);
}

/** /stats counts what was migrated, by type, with each type's newest time. */
async function expectStats(server: TestServer, expected: readonly Planned[]): Promise<void> {
  const stats = await getJson<{ total_events: number; by_type: { event_type: string; count: number }[] }>(
    server.base,
    '/stats',
  );
  const counts = new Map<string, number>();
  for (const { row } of expected) counts.set(row.event_type as string, (counts.get(row.event_type as string) ?? 0) + 1);
  expect(stats.body.total_events).toBe(expected.length);
  expect(Object.fromEntries(stats.body.by_type.map((t) => [t.event_type, t.count]))).toEqual(
    Object.fromEntries(counts),
  );
}
