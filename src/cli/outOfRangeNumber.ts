import { NON_FINITE_MESSAGE } from '../protocol/nulledValues.js';

/**
 * Only a number past 1e308 is: with an exponent of 3 digits or more, or with 210 digits or more before its point (an
 * exponent of 2 digits adds at most 99). Hint: one native regex test decides for most lines, as lossyIntegerIn does;
 * the digit run is matched only where it starts (a review: `\d{309}` retried inside every run of digits, 86 ms a
 * 60 KB line of 308-digit runs, and any digit before an `e`, as in most UUIDs, sent a line to the full search).
 */
const MAYBE_BEYOND = /\d[eE]\+?\d{3}|(?<!\d)\d{210}/;

/** Nesting the search follows: far past MAX_JSON_DEPTH, and bounded so a deep line cannot overflow the stack. */
const SEARCH_DEPTH = 1_000;

/**
 * Where JSON.parse read a number of `text` as ±Infinity (`1e400`) in `storedOf()` (the parts a server stores or
 * echoes, shaped as sent: see storedParts), in the server's words (`payload.a: is a number beyond
 * ±1.7976931348623157e308 …`), or null. Hint: the SDK would refuse the Infinity it parsed to, not the number written.
 */
export function outOfRangeNumberIn(text: string, storedOf: () => unknown): string | null {
  if (!MAYBE_BEYOND.test(text)) return null;
  const path = infinityAt(storedOf(), SEARCH_DEPTH);
  return path === null ? null : `${path || 'line'}: ${NON_FINITE_MESSAGE}`;
}

/** The path of the first ±Infinity in `value` ('' for the value itself), or null. */
function infinityAt(value: unknown, depth: number): string | null {
  if (typeof value === 'number')
    return value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY ? '' : null;
  if (typeof value !== 'object' || value === null || depth === 0) return null;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i): [string, unknown] => [`[${i}]`, item])
    : Object.entries(value);
  for (const [segment, inner] of entries) {
    const rest = infinityAt(inner, depth - 1);
    if (rest === null) continue;
    return rest === '' || rest.startsWith('[') ? segment + rest : `${segment}.${rest}`;
  }
  return null;
}
