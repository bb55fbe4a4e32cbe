import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { type ChunkIndexer, checkpointCadence, LOG_CHECKPOINT_BYTES, ROW_BYTES } from './chunkIndexer.js';

function fakeIndexer(checkpointsLog: boolean): ChunkIndexer & { calls: number } {
  const fake = {
    calls: 0,
    checkpointsLog,
    build: () => {},
    drop: () => {},
    close: () => {},
    checkpointLog: () => {
      fake.calls++;
    },
  };
  return fake;
}

function event(payloadChars: number): StoredEvent {
  return {
    offset: 1,
    id: 'e',
    event_type: 'timer_tick',
    source: 's',
    session_id: null,
    user_id: null,
    payloadJson: 'x'.repeat(payloadChars),
    ts: 0,
  };
}

describe('checkpointCadence', () => {
  it('asks for a checkpoint after every LOG_CHECKPOINT_BYTES of appended rows, never more often', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2, max: 300_000 }), { maxLength: 200 }), (sizes) => {
        const indexer = fakeIndexer(true);
        const wrote = checkpointCadence(indexer);
        let sinceLast = 0;
        for (const size of sizes) {
          const before = indexer.calls;
          wrote(event(size));
          sinceLast += size + ROW_BYTES;
          // A request comes exactly when the bytes since the previous one reach the cadence.
          expect(indexer.calls - before).toBe(sinceLast >= LOG_CHECKPOINT_BYTES ? 1 : 0);
          if (indexer.calls > before) sinceLast = 0;
        }
      }),
    );
  });

  it('never asks an indexer that leaves checkpoints to the committing connections', () => {
    const indexer = fakeIndexer(false);
    const wrote = checkpointCadence(indexer);
    for (let i = 0; i < 100; i++) wrote(event(LOG_CHECKPOINT_BYTES));
    expect(indexer.calls).toBe(0);
  });
});
