import { describe, expect, it } from 'vitest';
import { duplicateFlags } from './duplicateFlags.js';

describe('duplicateFlags', () => {
  it('says nothing when no event was a duplicate, or the ack does not count them', () => {
    expect(duplicateFlags(3, 0, undefined)).toBeNull();
    expect(duplicateFlags(3, undefined, [7, 1, 8])).toBeNull();
  });

  it('marks every event when all were duplicates, with or without offsets', () => {
    expect(duplicateFlags(2, 2, undefined)).toEqual([true, true]);
    expect(duplicateFlags(1, 1, undefined)).toEqual([true]);
  });

  it('marks the events below the offsets this message stored', () => {
    expect(duplicateFlags(3, 1, [7, 1, 8])).toEqual([false, true, false]);
    expect(duplicateFlags(4, 2, [3, 9, 10, 4])).toEqual([true, false, false, true]);
    // A duplicate last, stored at offset 2, after new ones at 13 and 14.
    expect(duplicateFlags(3, 1, [13, 14, 2])).toEqual([false, false, true]);
  });

  it('marks the second of one id twice in a message, stored once', () => {
    expect(duplicateFlags(3, 1, [5, 6, 5])).toEqual([false, false, true]);
  });

  it('says nothing when the offsets cannot hold what the count says was stored', () => {
    expect(duplicateFlags(3, 1, undefined)).toBeNull();
    expect(duplicateFlags(3, 1, [5, 5, 5])).toBeNull();
    expect(duplicateFlags(3, 1, [5, 6])).toBeNull();
  });
});
