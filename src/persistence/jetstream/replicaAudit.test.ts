import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/eventRecord.js';
import { encodeEvent } from './eventMessage.js';
import { type AuditedReplica, ReplicaAudit, type ReplicaAuditOptions } from './replicaAudit.js';

/** A stream of `n` event messages (one per sequence) and a replica that applied them all, both in memory. */
function cluster(n: number, more: Pick<ReplicaAuditOptions, 'ahead' | 'askStream'> = {}) {
  const records: StoredEvent[] = Array.from({ length: n }, (_, i) => ({
    offset: i + 1,
    id: `e${i + 1}`,
    event_type: 'quiz_started',
    source: 'quiz',
    session_id: 's',
    user_id: null,
    payloadJson: `{"n":${i + 1}}`,
    ts: 1_000 + i,
  }));
  const stream = new Map<number, Uint8Array>();
  for (const { offset, ts, ...input } of records)
    stream.set(offset, new TextEncoder().encode(encodeEvent({ ts, producer: true, input })));
  const asked: number[] = [];
  let failing = false;
  let closed = false;
  const jsm = {
    streams: {
      getMessage: async (_stream: string, { seq }: { seq: number }) => {
        asked.push(seq);
        if (failing) throw new Error('timeout');
        const data = stream.get(seq);
        return data === undefined ? null : { seq, data };
      },
    },
  };
  const replica: AuditedReplica = {
    firstOffset: () => 1,
    readFrom: (from, _filter, _limit, upTo) => {
      if (closed) throw new TypeError('The database connection is not open');
      return records.filter((r) => r.offset === from && r.offset <= upTo!);
    },
    noopOffsets: () => [],
    getById: (id) => records.find((r) => r.id === id) ?? null,
  };
  const notices: string[] = [];
  const audit = new ReplicaAudit({
    jsm,
    stream: 'EVENTS',
    replica,
    appliedSeq: () => n,
    perSecond: 40,
    onNotice: (line) => notices.push(line),
    ...more,
  });
  return {
    records,
    stream,
    asked,
    audit,
    notices,
    fail: (on: boolean) => (failing = on),
    close: () => (closed = true),
  };
}

describe('ReplicaAudit', () => {
  it('checks every applied offset in order, the rate per tick at most, and starts a new pass after the head', async () => {
    const c = cluster(25);
    for (let tick = 0; tick < 3; tick++) await c.audit.step();
    expect(c.asked).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect([c.audit.checkedUpTo, c.audit.passes]).toEqual([25, 0]);
    await c.audit.step();
    expect(c.asked.slice(25)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([c.audit.checkedUpTo, c.audit.passes, c.audit.divergence]).toEqual([10, 1, null]);
  });

  it('keeps its place when the stream does not answer, and skips what the stream no longer holds', async () => {
    const c = cluster(12);
    c.fail(true);
    await c.audit.step();
    expect(c.audit.checkedUpTo).toBe(0);
    c.fail(false);
    c.stream.delete(3);
    await c.audit.step();
    await c.audit.step();
    expect([c.audit.checkedUpTo, c.audit.divergence]).toEqual([12, null]);
    expect(c.asked.slice(10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('reads nothing of the replica once stopped, even for an answer that comes after (a shutdown)', async () => {
    const c = cluster(5);
    const step = c.audit.step();
    c.audit.stop();
    c.close();
    await step;
    await c.audit.step();
    expect([c.audit.divergence, c.audit.checkedUpTo, c.asked]).toEqual([null, 0, [1, 2, 3, 4, 5]]);
  });

  it('stops at the first offset whose event differs from the stream, names it once, and checks no more', async () => {
    const c = cluster(30);
    const at = c.records[16]!;
    c.records[16] = { ...at, payloadJson: '{"n":"other"}' };
    for (let tick = 0; tick < 4; tick++) await c.audit.step();
    expect(c.audit.divergence).toMatch(/differs from stream EVENTS at offset 17 .*event "e17" differs in its payload/);
    expect(c.audit.divergence).toMatch(/delete its DATABASE_PATH file and start it again/);
    expect(c.notices).toEqual([c.audit.divergence]);
    expect(c.audit.checkedUpTo).toBe(10);
    expect(c.asked.length).toBe(20);
  });

  it("asks the stream's state when the leader serves nothing at an offset the replica holds, and shows a replica ahead", async () => {
    let asks = 0;
    let ahead: string | null = null;
    const c = cluster(12, { askStream: async () => void asks++, ahead: () => ahead });
    await c.audit.step();
    expect(asks).toBe(0);
    // The stream lost its tail: 11 and 12 are in the replica only (ReplicaAhead decides, from the stream's state).
    c.stream.delete(11);
    c.stream.delete(12);
    await c.audit.step();
    expect(asks).toBe(1);
    expect(c.audit.figures().divergence).toBeNull();
    ahead = "this node's replica holds offsets up to 12 but stream EVENTS ends at sequence 10: …";
    expect(c.audit.figures()).toEqual({ divergence: ahead, auditedUpTo: 12 });
  });
});
