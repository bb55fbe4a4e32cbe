import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { foldStatuses } from './support/logOracle.js';
import { allEvents, getJson, stats, waitFor } from './support/pipelineRest.js';
import { type Message, type WireRecord, WsClient } from './support/wsClient.js';

interface Acked {
  readonly id: string;
  readonly offset: number;
}

/**
 * Publish `message(n)` (n counts the messages sent) with `window` messages always in flight, handing each reply to
 * `ingest`, while `more()` holds; returns how many were still in flight when it stopped (the kill comes next).
 */
async function publishWindowed(
  publisher: WsClient,
  window: number,
  message: (n: number) => unknown,
  ingest: (ack: Message) => void,
  more: () => boolean,
): Promise<number> {
  let sent = 0;
  let received = 0;
  while (more()) {
    while (sent - received < window) publisher.send(message(sent++));
    ingest(await publisher.next());
    received++;
  }
  return sent - received;
}

/** The log's epoch as /health names it. */
async function epochOf(server: ChildServer): Promise<string> {
  return (await getJson<{ epoch: string }>(`${server.base}/health`)).body.epoch;
}

describe('crash safety (kill -9 of the real process)', () => {
  let dir: string | undefined;
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A server child on the log at `db`, stopped after the test. */
  async function start(db: string): Promise<ChildServer> {
    const server = await spawnServer(db);
    servers.push(server);
    return server;
  }

  /** A fresh temp log, a server on it, and a publisher connected to it. */
  async function startFresh(): Promise<{ db: string; first: ChildServer; publisher: WsClient }> {
    dir = mkdtempSync(join(tmpdir(), 'rep-crash-'));
    const db = join(dir, 'events.db');
    const first = await start(db);
    return { db, first, publisher: await WsClient.open(`${first.wsBase}/ws/publish`) };
  }

  it('keeps every acked event across a kill -9 mid-stream, and continues the offsets after restart', async () => {
    const { db, first, publisher } = await startFresh();
    const epoch = await epochOf(first);
    const acked: Acked[] = [];
    const perBatch = 20;
    const ingest = (ack: Message) => {
      expect(ack.status).toBe('ok');
      const ids = ack.event_ids as string[];
      expect(ack.last_offset as number).toBe((ack.first_offset as number) + ids.length - 1);
      for (const [i, id] of ids.entries()) acked.push({ id, offset: (ack.first_offset as number) + i });
    };
    const batch = (sent: number) =>
      Array.from({ length: perBatch }, (_, i) => ({
        event_type: 'answer_submitted',
        source: 'crash_test',
        session_id: `s${(sent * perBatch + i) % 7}`,
        payload: { n: sent * perBatch + i },
      }));
    // Publish continuously with several batches always in flight; kill once enough are acked, without waiting for the rest.
    const inFlightAtKill = await publishWindowed(publisher, 8, batch, ingest, () => acked.length < 2_000);
    first.proc.kill('SIGKILL');
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    // Acks that were already on their way still count: the server only acks after its commit.
    await publisher.closed;
    while (publisher.pending > 0) ingest(await publisher.next());
    expect(inFlightAtKill).toBeGreaterThan(0);

    const second = await start(db);
    // The same log: a kill -9 mid-commit leaves at most a commit cut short, which the WAL check must not take for damage.
    expect(await epochOf(second)).toBe(epoch);
    // Every acked event is there, under its id, at its acked offset.
    const missing: Acked[] = [];
    for (let i = 0; i < acked.length; i += 100) {
      const chunk = acked.slice(i, i + 100);
      const found = await Promise.all(chunk.map((a) => getJson<WireRecord>(`${second.base}/events/${a.id}`)));
      found.forEach((res, j) => {
        if (res.status !== 200 || res.body.offset !== chunk[j]!.offset) missing.push(chunk[j]!);
      });
    }
    expect(missing).toEqual([]);

    // The log is gap-free, holds at least what was acked, and new offsets continue after it.
    const maxAcked = Math.max(...acked.map((a) => a.offset));
    const head = (await stats(second.base)).head_offset;
    expect(head).toBeGreaterThanOrEqual(maxAcked);
    const log = await allEvents(second.base);
    expect(log.map((r) => r.offset)).toEqual(log.map((_, i) => i + 1));
    expect(log).toHaveLength(head);
    const after = await WsClient.open(`${second.wsBase}/ws/publish`);
    after.send({ event_type: 'timer_tick', source: 'crash_test' });
    expect(await after.next()).toMatchObject({ status: 'ok', offset: head + 1 });
    await after.close();
  });

  it('keeps every acked event across a kill -9 after the index worker checkpointed the WAL mid-stream', async () => {
    const { db, first, publisher } = await startFresh();
    const epoch = await epochOf(first);
    const acked: Acked[] = [];
    const text = 'x'.repeat(2_000);
    const ingest = (ack: Message) => {
      expect(ack.status).toBe('ok');
      for (const [i, id] of (ack.event_ids as string[]).entries())
        acked.push({ id, offset: (ack.first_offset as number) + i });
    };
    // About 3 MB of rows: the worker is asked for a checkpoint every ~1 MiB, while the committing connections' own
    // automatic checkpoint waits for a WAL of 4,096 pages (about 16 MB).
    const checkpointed = () => statSync(db).size > 1024 * 1024;
    const batch = () =>
      Array.from({ length: 20 }, (_, i) => ({ event_type: 'timer_tick', source: 'ckpt', payload: { text, i } }));
    const inFlight = await publishWindowed(publisher, 8, batch, ingest, () => acked.length < 1_400);
    for (let i = 0; i < inFlight; i++) ingest(await publisher.next());
    // The checkpoint is asynchronous (the worker may be short of CPU on a loaded machine). Nothing is written while
    // waiting, so no automatic checkpoint can run: pages in the database file are the index worker's doing.
    await waitFor(checkpointed, "the index worker's checkpoint");
    const more = () => acked.length < 1_800;
    const inFlightAtKill = await publishWindowed(publisher, 8, batch, ingest, more);
    expect(inFlightAtKill).toBeGreaterThan(0);
    first.proc.kill('SIGKILL');
    await first.exited;
    await publisher.closed;
    while (publisher.pending > 0) ingest(await publisher.next());

    const second = await start(db);
    expect(await epochOf(second)).toBe(epoch);
    const log = await allEvents(second.base);
    expect(log.map((r) => r.offset)).toEqual(log.map((_, i) => i + 1));
    const byOffset = new Map(log.map((r) => [r.offset, r.id]));
    expect(acked.filter((a) => byOffset.get(a.offset) !== a.id)).toEqual([]);
  });

  it('after a kill -9 mid-stream, keyed reads, by-id reads, sessions and stats equal a fold of the log', async () => {
    const { db, first, publisher } = await startFresh();
    const types = ['session_created', 'quiz_started', 'answer_submitted', 'quiz_completed', 'session_ended'];
    let sent = 0;
    let received = 0;
    const batch = () =>
      Array.from({ length: 25 }, (_, i) => {
        const n = sent * 25 + i;
        return {
          event_type: types[Math.floor(n / 40) % types.length],
          source: 'crash_test',
          session_id: `s${n % 40}`,
          user_id: `u${n % 9}`,
          payload: { n },
        };
      });
    while (received < 60) {
      while (sent - received < 6) {
        publisher.send(batch());
        sent++;
      }
      expect(await publisher.next()).toMatchObject({ status: 'ok' });
      received++;
    }
    first.proc.kill('SIGKILL');
    await first.exited;
    await publisher.closed;

    const second = await start(db);
    const log = await allEvents(second.base);
    expect(log.length).toBeGreaterThanOrEqual(60 * 25);
    for (const key of ['session_id', 'user_id'] as const) {
      for (const value of new Set(log.map((r) => r[key]))) {
        const keyed = await allEvents(second.base, `&${key}=${value}`);
        expect(
          keyed.map((r) => r.offset),
          `${key}=${value}`,
        ).toEqual(log.filter((r) => r[key] === value).map((r) => r.offset));
      }
    }
    for (const record of log.filter((r) => r.offset % 37 === 0 || r.offset === log.length)) {
      expect((await getJson<WireRecord>(`${second.base}/events/${record.id}`)).body).toEqual(record);
    }
    const folded = foldStatuses(
      log.map((r) => ({
        offset: r.offset,
        id: r.id,
        event_type: r.event_type,
        source: r.source,
        session_id: r.session_id,
        user_id: r.user_id,
        payloadJson: JSON.stringify(r.payload),
        ts: Date.parse(r.timestamp),
      })),
    );
    const listed = (await getJson<{ session_id: string; status: string }[]>(`${second.base}/sessions?limit=1000`)).body;
    expect(new Map(listed.map((s) => [s.session_id, s.status]))).toEqual(folded);
    for (const status of new Set(folded.values())) {
      const byStatus = (await getJson<{ session_id: string }[]>(`${second.base}/sessions?status=${status}&limit=1000`))
        .body;
      expect(byStatus.map((s) => s.session_id).sort(), status).toEqual(
        [...folded]
          .filter(([, st]) => st === status)
          .map(([id]) => id)
          .sort(),
      );
    }
    const byType = (await getJson<{ by_type: { event_type: string; count: number }[] }>(`${second.base}/stats`)).body
      .by_type;
    const counts = new Map<string, number>();
    for (const r of log) counts.set(r.event_type, (counts.get(r.event_type) ?? 0) + 1);
    expect(new Map(byType.map((t) => [t.event_type, t.count]))).toEqual(counts);
  });
});
