import type { Config } from '../config.js';
import { type ErrorMessage, errorMessage } from '../protocol/serverMessages.js';

/** The reply to a message whose bytes are not UTF-8 (text or binary frame). */
export const NOT_UTF8 = 'message is not valid UTF-8';

/** How the reply to a message over MAX_WS_MESSAGE_BYTES ends. */
export const TOO_LARGE = '(MAX_WS_MESSAGE_BYTES): too large';

/** The reply to a message over MAX_WS_MESSAGE_BYTES. */
export function tooLarge(message: ArrayBuffer, config: Config): ErrorMessage {
  return errorMessage(
    `message: is ${message.byteLength} bytes; at most ${config.maxWsMessageBytes} allowed ${TOO_LARGE}`,
  );
}
