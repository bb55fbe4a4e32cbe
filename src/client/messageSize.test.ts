import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WS_MESSAGE_CAP_BYTES } from '../protocol/wsPublishLimits.js';
import { batchLimits, checkMessageSize, mergedChars, utf8Length } from './messageSize.js';

describe('utf8Length', () => {
  it('agrees with the bytes TextEncoder writes, surrogate pairs and lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(encoder.encode(text).length);
      }),
    );
    expect(utf8Length('a\u00e9\u20ac\u{1f600}\ud800x')).toBe(1 + 2 + 3 + 4 + 3 + 1);
  });
});

describe('checkMessageSize', () => {
  const cap = DEFAULT_WS_MESSAGE_CAP_BYTES;

  it('refuses an event or a batch over maxMessageBytes, naming the size, the limit and what to do', () => {
    expect(cap).toBe(3_355_443);
    const big = 'x'.repeat(4 * 1024 * 1024);
    expect(() => checkMessageSize([big], big.length + 1, cap)).toThrow(
      new RangeError(
        `event is ${big.length + 48} bytes as a message (4.0 MiB), over maxMessageBytes (3355443 bytes, 3.2 MiB: the default, a server's cap at its defaults); a server closes the connection on a message past its cap: make the event smaller, or, for a server whose MAX_WS_MESSAGE_BYTES is at least that size, set maxMessageBytes to it`,
      ),
    );
    expect(() => checkMessageSize([big], big.length + 1, 8 * 1024 * 1024)).not.toThrow();
    const half = 'x'.repeat(Math.floor(cap / 2));
    expect(() => checkMessageSize([half, half], 2 * half.length + 2, cap)).toThrow(
      /^batch of 2 events is \d+ bytes as a message .*: publish it in smaller batches, or, for a server whose MAX_WS_MESSAGE_BYTES is at least that size, set maxMessageBytes to it$/,
    );
    // A limit the caller set is named without the default's note.
    expect(() => checkMessageSize([big], big.length + 1, 2_000_000)).toThrow(
      /over maxMessageBytes \(2000000 bytes, 1\.9 MiB\); /,
    );
    // Counted in bytes, not characters: 1.2 million euro signs are 3.6 MB.
    const euros = '\u20ac'.repeat(1_200_000);
    expect(() => checkMessageSize([euros], euros.length + 1, cap)).toThrow(RangeError);
    // Past the fast path (3 bytes a character), the exact count decides: 1.2 million ASCII characters fit.
    const ascii = 'x'.repeat(1_200_000);
    expect(() => checkMessageSize([ascii], ascii.length + 1, cap)).not.toThrow();
  });

  it('caps merged messages so that three bytes a character still fit within maxMessageBytes', () => {
    for (const limit of [cap, 8 * 1024 * 1024, 1000]) expect(mergedChars(limit) * 3 + 48).toBeLessThanOrEqual(limit);
    expect(batchLimits({ maxBatchEvents: 5, maxBatchBytes: 2 ** 30, maxMessageBytes: cap })).toEqual({
      maxEvents: 5,
      maxBytes: mergedChars(cap),
    });
    expect(batchLimits({ maxBatchEvents: 5, maxBatchBytes: 1024, maxMessageBytes: cap })).toEqual({
      maxEvents: 5,
      maxBytes: 1024,
    });
    // A limit below the envelope still lets one unit through to checkMessageSize, which refuses it.
    expect(mergedChars(10)).toBe(1);
  });
});
