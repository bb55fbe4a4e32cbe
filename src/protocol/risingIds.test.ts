import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { risingIds, SERVER_COUNTER_CHARS } from './risingIds.js';

describe('risingIds', () => {
  it('makes distinct ids, never of the server shape, that sort in the order they were made', () => {
    const next = risingIds('evt_');
    const ids = Array.from({ length: 70_000 }, next);
    expect(ids.filter((id) => !/^evt_[A-Za-z0-9_-]{22}$/.test(id))).toEqual([]);
    // Hint: the server's ids are evt_ + 21 symbols; a log looks for ids of that shape where it keeps its own.
    expect(ids.filter((id) => /^evt_[A-Za-z0-9_-]{21}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    // Hint: compared as SQLite's BINARY collation does (code units; the ids are ASCII).
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
    expect(new Set(ids.map((id) => id.slice(0, 17))).size).toBe(1);
  });

  it('gives each generator its own random head', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 13, maxLength: 13 }),
        fc.uint8Array({ minLength: 13, maxLength: 13 }),
        (a, b) => {
          const first = risingIds('p', () => a)();
          const second = risingIds('p', () => b)();
          const sameHead = a.every((x, i) => (x & 63) === (b[i]! & 63));
          expect(first === second).toBe(sameHead);
        },
      ),
    );
  });

  it("makes a cluster node's ids in the server's shape, rising", () => {
    const ids = Array.from({ length: 5_000 }, risingIds('evt_', undefined, SERVER_COUNTER_CHARS));
    expect(ids.filter((id) => !/^evt_[A-Za-z0-9_-]{21}$/.test(id))).toEqual([]);
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
  });

  it('takes a new head when the counter is spent, so ids stay distinct', () => {
    let fill = 0;
    const next = risingIds('p', (count) => new Uint8Array(count).fill(fill++), 1);
    const ids = Array.from({ length: 64 * 3 + 5 }, next);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(0, 14))).size).toBe(4);
  });
});
