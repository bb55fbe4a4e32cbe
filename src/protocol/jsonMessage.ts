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

/**
 * Parse a WebSocket text message, refusing it when it nests deeper than `maxDepth`: with `depthRefusal`'s words
 * (given the parsed value, which it must not walk recursively), else naming the first field found too deep.
 */
export function decodeJsonMessage(
  text: string,
  maxDepth: number,
  depthRefusal: (value: unknown) => string = (value) => deepestField(value, maxDepth),
): JsonMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'json', message: `${INVALID_JSON}${(error as Error).message}${wideTextHint(text)}` };
  }
  // Hint: bound nesting before anything recursive (valibot, JSON.stringify of an echoed ref) touches the value.
  if (nestsDeeperThan(text, maxDepth)) {
    const message = depthRefusal(value);
    const ref = topLevelRef(value);
    return ref === undefined ? { ok: false, reason: 'depth', message } : { ok: false, reason: 'depth', message, ref };
  }
  return { ok: true, value };
}

/** The refusal of a message nesting deeper than `maxDepth`, naming the first field found too deep. */
function deepestField(value: unknown, maxDepth: number): string {
  const field = tooDeepAt(value, maxDepth) ?? 'message';
  return `${field === 'body' ? 'message' : field}: nested deeper than ${maxDepth} levels (MAX_JSON_DEPTH)`;
}

/** The `ref` of a JSON object when it is a string or a number (safe to echo, however deep the rest is), else undefined. */
function topLevelRef(value: unknown): string | number | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('ref' in value)) return undefined;
  const { ref } = value;
  return typeof ref === 'string' || (typeof ref === 'number' && Number.isFinite(ref)) ? ref : undefined;
}
