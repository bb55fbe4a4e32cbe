import { WS_HARD_MAX_MESSAGE_BYTES } from '../protocol/wsPublishLimits.js';
import type { BatchLimits } from './publishBatcher.js';

/** What a message adds around its events: `{"ref":N,"events":[` and `]}`, N up to 2^53. */
const ENVELOPE_BYTES = 48;

/**
 * The most characters of events (as Unit.bytes counts them) the batcher merges into one message: a character takes
 * at most 3 bytes in UTF-8, so merged messages stay within the server's hard limit. Hint: a single unit may be
 * larger; checkMessageSize refuses it when its bytes are too many.
 */
export const MAX_MERGED_CHARS = Math.floor((WS_HARD_MAX_MESSAGE_BYTES - ENVELOPE_BYTES) / 3);

/** A publisher's limits on a merged message: its options, with maxBatchBytes capped at MAX_MERGED_CHARS. */
export function batchLimits(options: { readonly maxBatchEvents: number; readonly maxBatchBytes: number }): BatchLimits {
  return { maxEvents: options.maxBatchEvents, maxBytes: Math.min(options.maxBatchBytes, MAX_MERGED_CHARS) };
}

const NON_ASCII = /[\u0080-\uffff]/;

/** The UTF-8 length of `text` (no copy: TextEncoder would allocate the whole text again). */
export function utf8Length(text: string): number {
  // Hint: the regex scans natively, ten times faster than the loop below on ASCII text.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // Hint: a surrogate pair is 2 characters and 4 bytes; a lone surrogate is sent as U+FFFD, 3 bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * Throw a RangeError naming the size and the limit when `texts` (one unit's events, `chars` as Unit.bytes counts
 * them) would make a message over the server's hard limit. Hint: past it uWS closes the connection without a reply,
 * so the message would be resent on new connections until the delivery timeout; a larger MAX_WS_MESSAGE_BYTES
 * cannot help a client that does not know it.
 */
export function checkMessageSize(texts: readonly string[], chars: number): void {
  if (chars * 3 + ENVELOPE_BYTES <= WS_HARD_MAX_MESSAGE_BYTES) return;
  let bytes = ENVELOPE_BYTES + texts.length - 1;
  for (const text of texts) bytes += utf8Length(text);
  if (bytes <= WS_HARD_MAX_MESSAGE_BYTES) return;
  const what = texts.length === 1 ? 'event is' : `batch of ${texts.length} events is`;
  throw new RangeError(
    `${what} ${bytes} bytes as a message (${mib(bytes)}); a server takes at most ${WS_HARD_MAX_MESSAGE_BYTES} bytes (${mib(WS_HARD_MAX_MESSAGE_BYTES)}) per message and closes the connection past it${texts.length === 1 ? '' : ': publish it in smaller batches'}`,
  );
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
