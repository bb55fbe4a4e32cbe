import { codePoints } from './issue.js';
import { jsonErrorPosition } from './jsonErrorPosition.js';
import { decodeUtf8, WIDE_ENCODING, wideEncodingHint, wideTextHint } from './utf8Text.js';

/**
 * A request body read as JSON, or why it cannot be, told apart as FastAPI 0.129 (the old service) tells them: no
 * bytes at all (its 422 `missing` at `["body"]`), UTF-8 text that is not JSON (its 422 `json_invalid` at
 * `["body", position]`), and bytes that are not UTF-8 text (its 400 "There was an error parsing the body").
 */
export type JsonBody =
  | { readonly ok: true; readonly text: string; readonly value: unknown }
  | { readonly ok: false; readonly kind: 'missing' }
  | {
      readonly ok: false;
      readonly kind: 'json';
      /** Where the text first goes wrong, in code points (as Python's `JSONDecodeError.pos` counts). */
      readonly position: number;
      /** JSON.parse's reason, without its own position (a UTF-16 index, which can differ from `position`). */
      readonly reason: string;
    }
  | { readonly ok: false; readonly kind: 'encoding'; readonly reason: string };

/**
 * Read a body's bytes as JSON. A UTF-8 BOM is skipped (the old service read it as `utf-8-sig`). Hint: the old service
 * also read UTF-16 and UTF-32 bodies; here such a body is an encoding refusal that says so, whether or not its bytes
 * happen to be valid UTF-8 (ASCII JSON in UTF-16 is, with a NUL in every other byte).
 */
export function readJsonBody(bytes: Uint8Array): JsonBody {
  if (bytes.byteLength === 0) return { ok: false, kind: 'missing' };
  const text = decodeUtf8(bytes);
  if (text === null) return { ok: false, kind: 'encoding', reason: `not valid UTF-8${wideEncodingHint(bytes)}` };
  if (wideTextHint(text) !== '') return { ok: false, kind: 'encoding', reason: WIDE_ENCODING };
  try {
    return { ok: true, text, value: JSON.parse(text) };
  } catch (error) {
    const at = jsonErrorPosition(text);
    const position = codePoints(text.slice(0, at < 0 ? text.length : at));
    const reason = (error as Error).message.replace(/ in JSON at position \d+$/, '');
    return { ok: false, kind: 'json', position, reason };
  }
}
