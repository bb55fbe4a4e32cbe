import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctIds } from './distinctIds.js';

/** The reference: a scan of the array for every id. */
function distinct(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of ids) if (!out.includes(id)) out.push(id);
  return out;
}

// Few distinct values, so repeats are common, in runs long enough to cross from scans to the Set.
const ids = fc.array(fc.integer({ min: 0, max: 60 }).map(String), { maxLength: 120 });

describe('DistinctIds', () => {
  it('keeps each id once, in the order first seen, and says which adds were new', () => {
    fc.assert(
      fc.property(ids, ids, (initial, added) => {
        const start = distinct(initial);
        const set = new DistinctIds(start);
        const news = added.map((id) => set.add(id));
        const expected = distinct([...start, ...added]);
        const expectedNews = added.map((id, i) => !start.includes(id) && !added.slice(0, i).includes(id));
        return (
          JSON.stringify(set.values) === JSON.stringify(expected) &&
          JSON.stringify(news) === JSON.stringify(expectedNews)
        );
      }),
    );
  });

  it('leaves the array it started from alone', () => {
    const start = ['a', 'b'];
    new DistinctIds(start).add('c');
    expect(start).toEqual(['a', 'b']);
  });

  it('takes 200,000 distinct ids and their repeats', () => {
    const set = new DistinctIds();
    for (let i = 0; i < 200_000; i++) set.add(`user-${i}`);
    let repeatsTaken = 0;
    for (let i = 0; i < 200_000; i += 7) if (set.add(`user-${i}`)) repeatsTaken++;
    expect(repeatsTaken).toBe(0);
    expect(set.values).toHaveLength(200_000);
    expect(set.values[123_456]).toBe('user-123456');
  });
});
