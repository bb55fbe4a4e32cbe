import { describe, expect, it } from 'vitest';
import { LogCorruptError } from './logErrors.js';
import { nextReadable } from './readableRows.js';

/** A log of offsets 1..head whose offsets in `damaged` cannot be reached: a seek into them throws, as SQLite's would. */
function log(head: number, damaged: readonly [number, number][]) {
  const seeks: number[] = [];
  const firstFrom = (offset: number): number | undefined => {
    seeks.push(offset);
    if (damaged.some(([from, to]) => offset >= from && offset <= to)) throw new LogCorruptError('x.db', offset);
    return offset <= head ? offset : undefined;
  };
  return { firstFrom, seeks };
}

describe('nextReadable', () => {
  it('finds the first offset past a damaged range in a few seeks', () => {
    const { firstFrom, seeks } = log(1_000_000, [[400_001, 400_078]]);
    expect(nextReadable(400_000, 1_000_000, firstFrom)).toBe(400_079);
    expect(seeks.length).toBeLessThan(20);
  });

  it('is null when nothing after the damage up to the head can be read, and names the head as reachable', () => {
    expect(nextReadable(90, 100, log(100, [[91, 100]]).firstFrom)).toBeNull();
    expect(nextReadable(90, 100, log(100, [[91, 99]]).firstFrom)).toBe(100);
    expect(nextReadable(100, 100, log(100, []).firstFrom)).toBeNull();
  });

  it('passes errors that are not damage on', () => {
    const failing = () => {
      throw new Error('disk I/O error');
    };
    expect(() => nextReadable(1, 10, failing)).toThrow('disk I/O error');
  });
});
