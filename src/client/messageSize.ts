import { DEFAULT_WS_MESSAGE_CAP_BYTES } from '../protocol/wsPublishLimits.js';
import type { BatchLimits } from './publishBatcher.js';

/** What a message adds around its events: `{"ref":N,"events":[` and `]}`, N up to 2^53. */
const ENVELOPE_BYTES = 48;

/**
 * The most characters of events (as Unit.bytes counts them) the batcher merges into one message of at most
 * `maxMessageBytes`: a character takes at most 3 bytes in UTF-8. Hint: a single unit may be larger;
 * checkMessageSize refuses it when its bytes are too many.
 */
export function mergedChars(maxMessageBytes: number): number {
  return Math.max(1, Math.floor((maxMessageBytes - ENVELOPE_BYTES) / 3));
}

/** A publisher's limits on a merged message: its options, with maxBatchBytes capped at mergedChars. */
export function batchLimits(options: {
  readonly maxBatchEvents: number;
  readonly maxBatchBytes: number;
  readonly maxMessageBytes: number;
}): BatchLimits {
  const maxBytes = Math.min(options.maxBatchBytes, mergedChars(options.maxMessageBytes));
  return { maxEvents: options.maxBatchEvents, maxBytes };
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
 * Throw a RangeError naming the size, the limit and what to do when `texts` (one unit's events, `chars` as Unit.bytes
 * counts them) would make a message over `maxMessageBytes`. Hint: past a server's cap uWS closes the connection
 * without a reply (1006), and the message would be resent on new connections until the delivery timeout.
 */
export function checkMessageSize(texts: readonly string[], chars: number, maxMessageBytes: number): void {
  if (chars * 3 + ENVELOPE_BYTES <= maxMessageBytes) return;
  let bytes = ENVELOPE_BYTES + texts.length - 1;
  for (const text of texts) bytes += utf8Length(text);
  if (bytes <= maxMessageBytes) return;
  const batch = texts.length > 1;
  const what = batch ? `batch of ${texts.length} events is` : 'event is';
  const whose = maxMessageBytes === DEFAULT_WS_MESSAGE_CAP_BYTES ? ": the default, a server's cap at its defaults" : '';
  const fix = batch ? 'publish it in smaller batches' : 'make the event smaller';
  throw new RangeError(
    `${what} ${bytes} bytes as a message (${mib(bytes)}), over maxMessageBytes (${maxMessageBytes} bytes, ${mib(maxMessageBytes)}${whose}); ` +
      `a server closes the connection on a message past its cap: ${fix}, or, for a server whose MAX_WS_MESSAGE_BYTES ` +
      'is at least that size, set maxMessageBytes to it',
  );
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
