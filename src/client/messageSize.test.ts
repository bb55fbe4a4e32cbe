import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WS_HARD_MAX_MESSAGE_BYTES } from '../protocol/wsPublishLimits.js';
import { batchLimits, checkMessageSize, MAX_MERGED_CHARS, utf8Length } from './messageSize.js';

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
  it('refuses an event or a batch over the hard limit, naming the size and the limit', () => {
    const big = 'x'.repeat(WS_HARD_MAX_MESSAGE_BYTES);
    expect(() => checkMessageSize([big], big.length + 1)).toThrow(
      new RangeError(
        `event is ${WS_HARD_MAX_MESSAGE_BYTES + 48} bytes as a message (64.0 MiB); a server takes at most 67108864 bytes (64.0 MiB) per message and closes the connection past it`,
      ),
    );
    const half = 'x'.repeat(WS_HARD_MAX_MESSAGE_BYTES / 2);
    expect(() => checkMessageSize([half, half], 2 * half.length + 2)).toThrow(
      /^batch of 2 events is \d+ bytes as a message .*: publish it in smaller batches$/,
    );
    // Counted in bytes, not characters: 22.4 million euro signs are 67.2 MB.
    const euros = '\u20ac'.repeat(22_400_000);
    expect(() => checkMessageSize([euros], euros.length + 1)).toThrow(RangeError);
    expect(() => checkMessageSize([half], half.length + 1)).not.toThrow();
  });

  it('caps merged messages so that three bytes a character still fit', () => {
    expect(MAX_MERGED_CHARS * 3 + 48).toBeLessThanOrEqual(WS_HARD_MAX_MESSAGE_BYTES);
    expect(batchLimits({ maxBatchEvents: 5, maxBatchBytes: 2 ** 30 })).toEqual({
      maxEvents: 5,
      maxBytes: MAX_MERGED_CHARS,
    });
    expect(batchLimits({ maxBatchEvents: 5, maxBatchBytes: 1024 })).toEqual({ maxEvents: 5, maxBytes: 1024 });
  });
});
