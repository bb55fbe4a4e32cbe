import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GroupOutcome } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { COMMITTED_CHUNK_BYTES, GroupCommit } from './groupCommit.js';
import { silentLogger } from './logger.js';
import { ManualScheduler } from './manualScheduler.js';

/** A log that appends every group at once, offsets from 1. */
function instantLog() {
  let next = 1;
  return {
    commit: (groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> =>
      Promise.resolve(
        groups.map((group) => {
          const records: StoredEvent[] = group.map((input) => ({ ...input, id: `g${next}`, offset: next++, ts: 0 }));
          return { ok: true as const, records, appended: records };
        }),
      ),
  };
}

function input(payloadChars: number): EventInput {
  const payloadJson = JSON.stringify({ pad: 'x'.repeat(Math.max(0, payloadChars - 10)) });
  return { id: null, event_type: 'quiz_started', source: 's', session_id: null, user_id: null, payloadJson };
}

describe('GroupCommit deliveries of one commit', () => {
  it('cover every appended record once, in offset order, each cut only at a batch boundary past COMMITTED_CHUNK_BYTES', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 10, max: 200_000 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (batches) => {
          const scheduler = new ManualScheduler();
          const deliveries: StoredEvent[][] = [];
          const ingress = new GroupCommit({
            log: instantLog(),
            logger: silentLogger,
            scheduler,
            maxPendingEvents: 1_000,
            committed: (records) => deliveries.push([...records]),
          });
          const sizes = batches.map((batch) => batch.map(input));
          for (const batch of sizes) ingress.submit(batch, () => {});
          scheduler.runImmediates();
          await ingress.close();
          const offsets = deliveries.flat().map((r) => r.offset);
          expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
          expect(offsets.length).toBe(sizes.flat().length);
          // Every delivery but the last holds whole batches and crossed the chunk size only with its last batch.
          const ends = new Set<number>();
          let end = 0;
          for (const batch of sizes) {
            end += batch.length;
            ends.add(end);
          }
          for (const delivery of deliveries.slice(0, -1)) {
            expect(ends.has(delivery[delivery.length - 1]!.offset)).toBe(true);
            const bytes = delivery.reduce((sum, r) => sum + r.payloadJson.length, 0);
            expect(bytes).toBeGreaterThanOrEqual(COMMITTED_CHUNK_BYTES);
          }
          // And none is cut later than that: without its last batch, each delivery is under the chunk size.
          for (const delivery of deliveries) {
            let lastBatch = delivery.length - 1;
            while (lastBatch > 0 && !ends.has(delivery[lastBatch - 1]!.offset)) lastBatch--;
            const before = delivery.slice(0, lastBatch).reduce((sum, r) => sum + r.payloadJson.length, 0);
            expect(before).toBeLessThan(COMMITTED_CHUNK_BYTES);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
