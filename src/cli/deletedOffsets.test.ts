import { describe, expect, it } from 'vitest';
import { deletedOffsetsNotice, firstAvailableOf } from './deletedOffsets.js';

describe('deletedOffsetsNotice', () => {
  it('names the deleted offsets from the one asked for, cut at --to, and where output goes on', () => {
    expect(deletedOffsetsNotice(99_999, 140_699)).toBe(
      'offsets 100000–140698 were deleted by retention; output starts at 140699',
    );
    expect(deletedOffsetsNotice(99_999, 140_699, 140_000)).toBe(
      'offsets 100000–140000 were deleted by retention; none of the range asked for remains',
    );
    expect(deletedOffsetsNotice(4, 6)).toBe('offset 5 was deleted by retention; output starts at 6');
    expect(deletedOffsetsNotice(5, 6)).toBeNull();
  });

  it('reads X-First-Available-Offset only as decimal digits', () => {
    expect(firstAvailableOf(new Headers({ 'X-First-Available-Offset': '31' }))).toBe(31);
    for (const text of ['', '1e3', '-1', 'x']) {
      expect(firstAvailableOf(new Headers({ 'X-First-Available-Offset': text }))).toBeNull();
    }
    expect(firstAvailableOf(new Headers())).toBeNull();
  });
});
