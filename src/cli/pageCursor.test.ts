import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliError } from './command.js';
import { checkBefore, nextCursor } from './pageCursor.js';

const page = (...offsets: number[]) => offsets.map((offset) => ({ offset }));

describe('nextCursor', () => {
  it('is the last offset of a page that runs past the cursor, and the cursor itself for an empty page', () => {
    expect(nextCursor(page(5, 6, 9), 4, 'asc', 'GET /events')).toBe(9);
    expect(nextCursor(page(9, 6, 5), 10, 'desc', 'GET /events')).toBe(5);
    expect(nextCursor([], 7, 'asc', 'GET /events')).toBe(7);
  });

  it('refuses a page that repeats, goes back or is out of order, naming the record', () => {
    expect(() => nextCursor(page(4), 4, 'asc', 'GET /events')).toThrow(
      'GET /events: record [0] has offset 4, not after 4',
    );
    expect(() => nextCursor(page(5, 7, 6), 4, 'asc', 'GET /events')).toThrow('record [2] has offset 6, not after 7');
    expect(() => nextCursor(page(3, 3), 10, 'desc', 'GET /events')).toThrow('record [1] has offset 3, not before 3');
  });

  it('accepts exactly the pages whose offsets strictly increase from the cursor', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 20 }), (cursor, offsets) => {
        const ok = offsets.every((offset, i) => offset > (i === 0 ? cursor : offsets[i - 1]!));
        let threw: unknown = null;
        try {
          expect(nextCursor(page(...offsets), cursor, 'asc', 'q')).toBe(offsets.at(-1) ?? cursor);
        } catch (error) {
          threw = error;
        }
        expect(threw === null).toBe(ok);
        if (!ok) expect(threw).toBeInstanceOf(CliError);
      }),
    );
  });
});

describe('checkBefore', () => {
  it('passes a page below before_offset and refuses one reaching it, naming the first such record', () => {
    expect(() => checkBefore(page(3, 4, 5), 6, 'GET /events')).not.toThrow();
    expect(() => checkBefore([], 6, 'GET /events')).not.toThrow();
    expect(() => checkBefore(page(4, 5, 6, 7), 6, 'GET /events?before_offset=6')).toThrow(
      new CliError(
        'GET /events?before_offset=6: record [2] has offset 6, not before 6; the server ignored before_offset (the range ends at 5)',
        1,
      ),
    );
  });
});
