import { isUtf8 } from 'node:buffer';
import type { Config } from '../config.js';
import { type ErrorMessage, errorMessage } from '../protocol/serverMessages.js';

/** The reply to a message whose bytes are not UTF-8 (text or binary frame). */
export const NOT_UTF8 = 'message is not valid UTF-8';

const decoder = new TextDecoder();

/**
 * A WebSocket message's text, or null when its bytes are not valid UTF-8 (text and binary frames alike).
 *
 * Hint: isUtf8 (simdutf) then the plain decoder, the same answer as a fatal TextDecoder but on the fast path; a
 * lenient decode would store U+FFFD where the producer sent something else.
 */
export function decodeUtf8(message: ArrayBuffer): string | null {
  return isUtf8(message) ? decoder.decode(message) : null;
}

/** How the reply to a message over MAX_WS_MESSAGE_BYTES ends. */
export const TOO_LARGE = '(MAX_WS_MESSAGE_BYTES): too large';

/** The reply to a message over MAX_WS_MESSAGE_BYTES. */
export function tooLarge(message: ArrayBuffer, config: Config): ErrorMessage {
  return errorMessage(
    `message: is ${message.byteLength} bytes; at most ${config.maxWsMessageBytes} allowed ${TOO_LARGE}`,
  );
}
