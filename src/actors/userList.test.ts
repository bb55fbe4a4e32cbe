import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserList } from './userList.js';

/** The reference: a scan of the array for every id. */
function distinct(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of ids) if (!out.includes(id)) out.push(id);
  return out;
}

// Few distinct values, so repeats are common, in runs long enough to cross from scans to the Set.
const ids = fc.array(fc.integer({ min: 0, max: 60 }).map(String), { maxLength: 40 });

/** Extend the version at `from` (an index into the versions made so far, modulo their count) with `added`. */
const step = fc.record({ from: fc.nat(), added: ids });

describe('UserList', () => {
  it('appends the new ids in order, and is the same list when none is new', () => {
    fc.assert(
      fc.property(ids, ids, (start, added) => {
        const list = UserList.of(start);
        const next = list.with(added);
        const expected = distinct([...start, ...added]);
        expect([...next]).toEqual(expected);
        expect(next.toArray()).toEqual(expected);
        expect(next.size).toBe(expected.length);
        expect(next === list).toBe(expected.length === list.size);
      }),
    );
  });

  it('keeps every version as it was made, however versions are extended from old and new ones', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const versions = [UserList.empty()];
        const expected: string[][] = [[]];
        for (const { from, added } of steps) {
          const at = from % versions.length;
          versions.push(versions[at]!.with(added));
          expected.push(distinct([...expected[at]!, ...added]));
        }
        versions.forEach((version, i) => {
          expect([...version]).toEqual(expected[i]);
          expect(JSON.parse(JSON.stringify(version))).toEqual(expected[i]);
        });
      }),
    );
  });

  it('reads a list that may repeat ids (ofDistinct, as a snapshot is read) as `of` does, and extends it alike', () => {
    fc.assert(
      fc.property(ids, ids, (start, added) => {
        const read = UserList.ofDistinct(start);
        expect(read).toEqual(UserList.of(start));
        expect(read.size).toBe(distinct(start).length);
        expect([...read.with(added)]).toEqual(distinct([...start, ...added]));
      }),
    );
  });

  it('gives the first ids asked for, never more than it has', () => {
    const list = UserList.of(['a', 'b', 'c']);
    expect(list.toArray(2)).toEqual(['a', 'b']);
    expect(list.toArray(9)).toEqual(['a', 'b', 'c']);
    expect(list.with(['d']).toArray(9)).toEqual(['a', 'b', 'c', 'd']);
    expect(list.toArray(9)).toEqual(['a', 'b', 'c']);
  });

  it('equals another list by its ids alone, as tests compare contexts', () => {
    const grown = UserList.of(['a']).with(['b', 'a']);
    expect(grown).toEqual(UserList.of(['a', 'b']));
    expect(grown).not.toEqual(UserList.of(['b', 'a']));
    expect(grown).not.toEqual(UserList.of(['a', 'b', 'c']));
    expect(grown).not.toEqual(['a', 'b']);
  });

  it('takes 200,000 distinct ids one fold at a time, and their repeats', () => {
    let list = UserList.empty();
    for (let i = 0; i < 200_000; i += 100) list = list.with(Array.from({ length: 100 }, (_, j) => `user-${i + j}`));
    const before = list;
    list = list.with(Array.from({ length: 1_000 }, (_, j) => `user-${j * 7}`));
    expect(list).toBe(before);
    expect(list.size).toBe(200_000);
    expect(list.toArray()[123_456]).toBe('user-123456');
  });
});
