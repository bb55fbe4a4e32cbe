import { tooDeepAt } from './jsonDepth.js';
import { nestsDeeperThan } from './textDepth.js';

/** A WebSocket message parsed as JSON, or why not: bad JSON, or nesting past MAX_JSON_DEPTH. */
export type JsonMessage =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'json' | 'depth'; readonly message: string };

/** How the reply to a message that is not JSON begins. */
export const INVALID_JSON = 'Invalid JSON: ';

/** Parse a WebSocket text message, refusing it (naming the deepest field) when it nests deeper than `maxDepth`. */
export function decodeJsonMessage(text: string, maxDepth: number): JsonMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'json', message: `${INVALID_JSON}${(error as Error).message}` };
  }
  // Hint: bound nesting before anything recursive (valibot, JSON.stringify of an echoed ref) touches the value.
  if (nestsDeeperThan(text, maxDepth)) {
    const field = tooDeepAt(value, maxDepth) ?? 'message';
    const name = field === 'body' ? 'message' : field;
    return { ok: false, reason: 'depth', message: `${name}: nested deeper than ${maxDepth} levels (MAX_JSON_DEPTH)` };
  }
  return { ok: true, value };
}
