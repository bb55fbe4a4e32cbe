import { isUtf8 } from 'node:buffer';

const decoder = new TextDecoder();

/**
 * The text of a message or body, or null when its bytes are not valid UTF-8; a UTF-8 BOM before it is skipped
 * (RFC 8259 lets a parser ignore one; the old service's REST endpoint did). Every publish path reads its bytes here,
 * so REST and both WebSocket frame kinds take the same bytes.
 *
 * Hint: isUtf8 (simdutf) then the plain decoder, the same answer as a fatal TextDecoder but on the fast path; a
 * lenient decode would store U+FFFD where the producer sent something else.
 */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string | null {
  return isUtf8(bytes) ? decoder.decode(bytes) : null;
}
