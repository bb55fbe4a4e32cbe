import { tooDeepAt } from './jsonDepth.js';
import { nestsDeeperThan } from './textDepth.js';
import { wideTextHint } from './utf8Text.js';

/** A WebSocket message parsed as JSON, or why not: bad JSON, or nesting past MAX_JSON_DEPTH. */
export type JsonMessage =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly reason: 'json' | 'depth';
      readonly message: string;
      /** A message too deep still names its top-level `ref` here when that is a string or a number. */
      readonly ref?: string | number;
    };

/** How the reply to a message that is not JSON begins. */
export const INVALID_JSON = 'Invalid JSON: ';

/** Parse a WebSocket text message, refusing it (naming the deepest field) when it nests deeper than `maxDepth`. */
export function decodeJsonMessage(text: string, maxDepth: number): JsonMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'json', message: `${INVALID_JSON}${(error as Error).message}${wideTextHint(text)}` };
  }
  // Hint: bound nesting before anything recursive (valibot, JSON.stringify of an echoed ref) touches the value.
  if (nestsDeeperThan(text, maxDepth)) {
    const field = tooDeepAt(value, maxDepth) ?? 'message';
    const name = field === 'body' ? 'message' : field;
    const message = `${name}: nested deeper than ${maxDepth} levels (MAX_JSON_DEPTH)`;
    const ref = topLevelRef(value);
    return ref === undefined ? { ok: false, reason: 'depth', message } : { ok: false, reason: 'depth', message, ref };
  }
  return { ok: true, value };
}

/** The `ref` of a JSON object when it is a string or a number (safe to echo, however deep the rest is), else undefined. */
function topLevelRef(value: unknown): string | number | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('ref' in value)) return undefined;
  const { ref } = value;
  return typeof ref === 'string' || (typeof ref === 'number' && Number.isFinite(ref)) ? ref : undefined;
}
