import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameCrc } from './crcCombine.js';

/** `[r1,r2,…]` of byte records, and each record's length and CRC. */
function frameOf(records: readonly Uint8Array[]) {
  const parts: Buffer[] = [];
  for (const [i, record] of records.entries()) parts.push(Buffer.from(i === 0 ? '[' : ','), Buffer.from(record));
  parts.push(Buffer.from(']'));
  return {
    frame: Buffer.concat(parts),
    lengths: records.map((record) => record.length),
    crcs: records.map((record) => crc32(record)),
  };
}

describe('frameCrc', () => {
  it("equals zlib's crc32 of the whole frame, for any records of any lengths", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 12 }), (records) => {
        const { frame, lengths, crcs } = frameOf(records);
        expect(frameCrc(lengths, crcs)).toBe(crc32(frame));
      }),
    );
  });

  it('differs when any one record had another CRC (a record altered in the log)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffffffff }),
        (records, which, flip) => {
          const { frame, lengths, crcs } = frameOf(records);
          const altered = [...crcs];
          altered[which % crcs.length] = (altered[which % crcs.length]! ^ flip) >>> 0;
          expect(frameCrc(lengths, altered)).not.toBe(crc32(frame));
        },
      ),
    );
  });

  it('agrees for records of 2,500 different lengths, up to 2,500 bytes', () => {
    const records = Array.from({ length: 2500 }, (_, i) => Buffer.alloc(i + 1, i % 251));
    const { frame, lengths, crcs } = frameOf(records);
    expect(frameCrc(lengths, crcs)).toBe(crc32(frame));
  });
});
