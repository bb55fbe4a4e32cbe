import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventFilter } from '../src/protocol/eventFilter.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { EVENT_TYPES } from '../src/protocol/eventTypes.js';

const text = fc.oneof(fc.string(), fc.constantFrom('"q"', 'b\\s', 'ünï 😀', 'line\nbreak'));

const event = fc.record({
  id: fc.option(text, { nil: null }),
  event_type: fc.constantFrom(...EVENT_TYPES.slice(0, 3)),
  source: fc.constantFrom('a', 'b'),
  session_id: fc.option(text, { nil: null }),
  user_id: fc.option(text, { nil: null }),
  payload: fc.dictionary(text, fc.jsonValue(), { maxKeys: 3 }),
});

const filter: fc.Arbitrary<EventFilter> = fc.record(
  { event_types: fc.subarray(EVENT_TYPES.slice(0, 3), { minLength: 1 }), source: fc.constantFrom('a', 'b') },
  { requiredKeys: [] },
);

describe('SqliteEventLog.readFrameFrom (replay frames built by SQLite)', () => {
  it('is the batch:true message of readJsonFrom for the same read, byte for byte, with its count and last offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-frame-'));
    let clock = 1_700_000_000_000;
    let ids = 0;
    const log = new SqliteEventLog({
      path: join(dir, 'events.db'),
      now: () => clock,
      newId: () => `gen-${++ids}`,
      newEpoch: () => 'e',
      indexer: 'inline',
      indexChunk: 5,
    });
    try {
      fc.assert(
        fc.property(
          fc.array(fc.array(event, { minLength: 1, maxLength: 6 }), { maxLength: 4 }),
          filter,
          fc.integer({ min: 1, max: 12 }),
          fc.nat({ max: 40 }),
          fc.nat({ max: 40 }),
          (groups, f, limit, fromBack, upToBack) => {
            for (const group of groups) {
              clock += 1 + (ids % 3);
              const inputs: EventInput[] = group.map((e) => ({
                ...e,
                id: e.id === null ? null : `${e.id}-${ids++}`,
                payloadJson: JSON.stringify(e.payload),
              }));
              log.appendGroups([inputs]);
            }
            const head = log.headOffset();
            const from = Math.max(1, head - fromBack);
            const upTo = Math.max(0, head - upToBack);
            const frame = log.readFrameFrom(from, f, limit, upTo);
            const json = log.readJsonFrom(from, f, limit, upTo);
            expect(frame).not.toBeNull();
            expect(frame!.count).toBe(json.records.length);
            expect(frame!.lastOffset).toBe(json.lastOffset);
            const expected = json.records.length === 0 ? '' : `[${json.records.join(',')}]`;
            expect(Buffer.from(frame!.frame).toString('utf8')).toBe(expected);
          },
        ),
        { numRuns: 150 },
      );
      // Keyed filters read through the index, not a range scan: no frame, readJsonFrom serves them.
      expect(log.readFrameFrom(1, { session_id: 's' }, 10, log.headOffset())).toBeNull();
      expect(log.readFrameFrom(1, { user_id: 'u' }, 10, log.headOffset())).toBeNull();
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives no frame for a page holding a timestamp SQLite cannot format, and readJsonFrom still serves it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-frame-'));
    let clock = 253_402_300_799_000;
    const log = new SqliteEventLog({
      path: join(dir, 'events.db'),
      now: () => clock,
      newId: () => 'gen',
      newEpoch: () => 'e',
      indexer: 'inline',
    });
    try {
      const one: EventInput = {
        id: null,
        event_type: EVENT_TYPES[0]!,
        source: 'a',
        session_id: null,
        user_id: null,
        payloadJson: '{}',
      };
      log.appendGroups([[one]]);
      clock = 253_402_300_800_000; // year 10000: toISOString writes +010000-…
      log.appendGroups([[one]]);
      expect(log.readFrameFrom(1, {}, 1, 2)!.count).toBe(1);
      expect(log.readFrameFrom(1, {}, 2, 2)).toBeNull();
      const json = log.readJsonFrom(1, {}, 2, 2);
      expect(json.lastOffset).toBe(2);
      expect(JSON.parse(json.records[1]!).timestamp).toBe('+010000-01-01T00:00:00.000Z');
    } finally {
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
