import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFrames } from './topicGroup.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

// Records as the log serializes them: JSON texts, here with ASCII, 2-, 3- and 4-byte characters.
const recordArb = fc
  .string({ unit: fc.constantFrom('a', 'é', '中', '😀', '"'), maxLength: 40 })
  .map((s) => JSON.stringify({ s }));

describe('batchFrames', () => {
  it('keeps every record in order; a frame is over the byte limit only when it holds one record, and is cut only when the next record would not fit', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 30 }), fc.integer({ min: 1, max: 400 }), (texts, limit) => {
        const frames = batchFrames(texts, limit);
        const parsed = frames.map((frame) => JSON.parse(frame) as unknown[]);
        expect(parsed.flat()).toEqual(texts.map((text) => JSON.parse(text) as unknown));
        for (const [i, frame] of frames.entries()) {
          if (parsed[i]!.length > 1) expect(bytes(frame)).toBeLessThanOrEqual(limit);
          const next = frames[i + 1];
          // Greedy: the next frame's first record would have pushed this one past the limit.
          if (next !== undefined) {
            const first = JSON.stringify((JSON.parse(next) as unknown[])[0]);
            expect(bytes(frame) + 1 + bytes(first)).toBeGreaterThan(limit);
          }
        }
      }),
    );
  });

  it('counts bytes, not characters: 3-byte characters fill a frame three times as fast', () => {
    const record = JSON.stringify({ s: '中'.repeat(100) });
    expect(record.length).toBe(108);
    expect(bytes(record)).toBe(308);
    expect(batchFrames([record, record, record], 700).map((frame) => (JSON.parse(frame) as unknown[]).length)).toEqual([
      2, 1,
    ]);
    expect(batchFrames([record, record], 300)).toEqual([`[${record}]`, `[${record}]`]);
  });
});
