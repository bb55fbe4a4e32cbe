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

/**
 * What a body that is not UTF-8 JSON was probably written in, as a hint for its 400, or '' when nothing says. JSON
 * text starts with ASCII, so a NUL among its first four bytes is the mark of UTF-16 or UTF-32 (RFC 4627's detection,
 * which the old service's json.loads used to read such bodies); a UTF-16 BOM says so too.
 */
export function wideEncodingHint(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 4);
  const bom = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  return bom || head.includes(0) ? WIDE_HINT : '';
}

/**
 * wideEncodingHint for text that decoded as UTF-8 but is not JSON: UTF-16 or UTF-32 of ASCII JSON is valid UTF-8,
 * with a NUL among its first four characters.
 */
export function wideTextHint(text: string): string {
  return text.slice(0, 4).includes('\0') ? WIDE_HINT : '';
}

/** What a body or frame in UTF-16 or UTF-32 is told. */
export const WIDE_ENCODING = 'it looks like UTF-16 or UTF-32; send UTF-8';
const WIDE_HINT = ` (${WIDE_ENCODING})`;
