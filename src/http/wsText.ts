import type { Config } from '../config.js';
import { type ErrorMessage, errorMessage } from '../protocol/serverMessages.js';
import { wideEncodingHint } from '../protocol/utf8Text.js';

/** The reply to a message whose bytes are not UTF-8 (text or binary frame). */
export const NOT_UTF8 = 'message is not valid UTF-8';

/** The reply to a message whose bytes are not UTF-8, with REST's hint when they look like UTF-16 or UTF-32. */
export function notUtf8(message: ArrayBuffer): ErrorMessage {
  return errorMessage(NOT_UTF8 + wideEncodingHint(new Uint8Array(message)));
}

/** How the reply to a message over MAX_WS_MESSAGE_BYTES ends. */
export const TOO_LARGE = '(MAX_WS_MESSAGE_BYTES): too large';

/** The reply to a message over MAX_WS_MESSAGE_BYTES. */
export function tooLarge(message: ArrayBuffer, config: Config): ErrorMessage {
  return errorMessage(
    `message: is ${message.byteLength} bytes; at most ${config.maxWsMessageBytes} allowed ${TOO_LARGE}`,
  );
}
