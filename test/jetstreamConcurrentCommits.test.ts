import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamEventLog } from '../src/persistence/jetstream/jetStreamEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { NatsCluster } from './support/natsCluster.js';

// Cluster mode keeps several group commits in flight (GroupCommit maxInFlight = the log's concurrentCommits): the
// log is called again before earlier commits are answered. Each must be answered as if they had run one at a time.
let nats: NatsCluster | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  nats = await NatsCluster.start(1);
}, 30_000);
afterAll(async () => {
  await nats?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open(stream: string): Promise<JetStreamEventLog> {
  const dir = mkdtempSync(join(tmpdir(), 'js-concurrent-'));
  dirs.push(dir);
  let n = 0;
  return JetStreamEventLog.open({
    path: join(dir, 'replica.db'),
    now: () => 1_000,
    newId: () => `gen-${++n}`,
    newEpoch: () => 'e1',
    indexer: 'inline',
    jetstream: { servers: nats!.url.split(','), stream, replicas: 1, duplicateWindowMs: 120_000 },
  });
}

const event = (id: string | null, payload: number): EventInput => ({
  id,
  event_type: 'quiz_started',
  source: 's',
  session_id: null,
  user_id: null,
  payloadJson: `{"p":${payload}}`,
});

describe('JetStreamEventLog with commits in flight together', () => {
  it('answers overlapping commits of one producer id as one at a time would: the original (200) or a conflict (409)', async () => {
    const log = await open('OVERLAP');
    try {
      expect(log.concurrentCommits).toBeGreaterThan(1);
      const [first, resend, conflicting] = await Promise.all([
        log.commit([[event('x', 1), event('a', 2)]]),
        log.commit([[event('x', 1)]]),
        log.commit([[event('b', 3), event('x', 9)]]),
      ]);
      expect(first[0]).toMatchObject({
        ok: true,
        records: [
          { id: 'x', offset: 1 },
          { id: 'a', offset: 2 },
        ],
      });
      expect(resend[0]).toEqual({ ok: true, records: [log.getById('x')], appended: [] });
      expect(conflicting[0]).toEqual({ ok: false, conflict: { index: 1, id: 'x' } });
      // The conflicting batch published nothing, as in embedded mode: no offset was taken, not even a no-op.
      expect(log.getById('b')).toBeNull();
      expect(log.headOffset()).toBe(2);
      expect(log.noopOffsets(1, 10)).toEqual([]);
    } finally {
      log.close();
    }
  });

  it('gives commits without shared ids their own records, dense offsets, and generated ids in call order', async () => {
    const log = await open('DISJOINT');
    try {
      const calls = Array.from({ length: 6 }, (_, c) =>
        log.commit([[event(null, c * 10), event(`p${c}`, c * 10 + 1)], [event(null, c * 10 + 2)]]),
      );
      const answers = await Promise.all(calls);
      const offsets: number[] = [];
      answers.forEach((groups, c) => {
        const payloads = groups.flatMap((g) => (g.ok ? g.records.map((r) => r.payloadJson) : []));
        expect(payloads).toEqual([`{"p":${c * 10}}`, `{"p":${c * 10 + 1}}`, `{"p":${c * 10 + 2}}`]);
        const ids = groups.flatMap((g) => (g.ok ? g.appended.map((r) => r.id) : []));
        expect(ids.sort()).toEqual([`gen-${2 * c + 1}`, `gen-${2 * c + 2}`, `p${c}`].sort());
        for (const g of groups) if (g.ok) offsets.push(...g.appended.map((r) => r.offset));
      });
      expect(offsets.sort((a, b) => a - b)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
      expect(log.readFrom(1, {}, 100)).toHaveLength(18);
    } finally {
      log.close();
    }
  });
});
