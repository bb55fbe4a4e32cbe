import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type ReplicaEntry, SqliteReplicaLog } from '../src/persistence/sqliteReplicaLog.js';
import { risingIds } from '../src/protocol/risingIds.js';

describe('SqliteReplicaLog ids', () => {
  it('finds every applied id without the id index, so an unknown id costs no probe per chunk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replica-ids-'));
    const path = join(dir, 'replica.db');
    const replica = new SqliteReplicaLog({
      path,
      newId: () => 'unused',
      newEpoch: () => 'e',
      indexChunk: 5,
      indexer: 'inline',
    });
    // Two nodes' generated ids (made before the stream gave their offsets) and a producer's.
    const nodeA = risingIds('evt_');
    const nodeB = risingIds('evt_');
    const entries: ReplicaEntry[] = Array.from({ length: 15 }, (_, i) => ({
      kind: 'event',
      offset: i + 1,
      ts: 1_000,
      producer: i % 3 === 2,
      input: {
        id: i % 3 === 0 ? nodeA() : i % 3 === 1 ? nodeB() : `producer-${i}`,
        event_type: 'timer_tick',
        source: 'quiz',
        session_id: `s${i % 2}`,
        user_id: null,
        payloadJson: '{}',
      },
    }));
    try {
      const applied = [0, 5, 10].flatMap((from) => replica.applyAt(entries.slice(from, from + 5)));
      replica.indexTail();
      const index = new Database(`${path}.index`, { readonly: true });
      const chunks = index.prepare('SELECT lo, ids FROM chunks ORDER BY lo').all();
      index.close();
      expect(chunks).toEqual([
        { lo: 1, ids: 0 },
        { lo: 6, ids: 0 },
        { lo: 11, ids: 0 },
      ]);
      for (const entry of applied) expect(replica.getById(entry.record!.id)).toEqual(entry.record);
      expect(replica.getById(nodeA())).toBeNull();
    } finally {
      replica.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
