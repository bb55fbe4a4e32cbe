import { ignoredNamesHeader } from './ignoredNames.js';
import { type Issue, type IssueKind, preview } from './issue.js';

/** The most records, sessions or subscribers one listing answers with. */
export const MAX_LIST_LIMIT = 1000;
/** A listing's size when the request names none. */
export const DEFAULT_LIST_LIMIT = 100;

/** The response header naming query parameters the route does not know (so a misspelt filter is visible). */
export const IGNORED_PARAMS_HEADER = 'X-Ignored-Query-Params';

const DIGITS = /^\d+$/;

/** What pydantic reads as an integer: a sign, spaces, underscores between digits and a zero fraction (`10.0`). */
const LAX_INTEGER = /^\s*[-+]?\d+(?:_\d+)*(\.0*)?\s*$/;

/**
 * The old service's rule (`int`, `ge=1`, `le=1000`) a refused `limit` breaks, or undefined where it took the value
 * (`10.0`, ` 5`, `1_0`) and only ours refuses it.
 */
function limitKind(text: string, max: number): IssueKind | undefined {
  const input = text;
  if (!LAX_INTEGER.test(text)) return { rule: 'int_parsing', input };
  const n = Number(text.replaceAll('_', ''));
  if (n < 1) return { rule: 'ge', bound: 1, input };
  if (n > max) return { rule: 'le', bound: max, input };
  return undefined;
}

/**
 * A listing's `limit`: absent or empty means `fallback`; otherwise decimal digits from 1 to `max`. Every listing
 * reads it alike (`Number` alone would take `1e3`, `0x10` and `10.0`). A refusal is pushed to `issues`.
 */
export function parseLimit(
  text: string | undefined,
  issues: Issue[],
  fallback = DEFAULT_LIST_LIMIT,
  max = MAX_LIST_LIMIT,
): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (DIGITS.test(text) && n >= 1 && n <= max) return n;
  const message = `must be an integer from 1 to ${max} (got ${preview(text)})`;
  const kind = limitKind(text, max);
  issues.push(kind === undefined ? { field: 'limit', message } : { field: 'limit', message, kind });
  return fallback;
}

/**
 * A count such as `user_skip` or `user_limit`: absent or empty means `fallback`; otherwise decimal digits from 0 to
 * `max` (by default, the largest safe integer). A refusal is pushed to `issues`.
 */
export function parseCount(
  field: string,
  text: string | undefined,
  issues: Issue[],
  fallback = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (DIGITS.test(text) && n <= max) return n;
  const range = max === Number.MAX_SAFE_INTEGER ? 'of 0 or more' : `from 0 to ${max}`;
  issues.push({ field, message: `must be an integer ${range} (got ${preview(text)})` });
  return fallback;
}

/**
 * A query string as a map of name → value. A repeated name's last value wins (as in the old service), except
 * `event_type`, whose values are joined into one comma-separated list: `event_type=a&event_type=b` asks for both, as
 * `event_type=a,b` does (before, it silently asked for `b` alone).
 */
export function readQuery(query: string): Map<string, string> {
  const params = new URLSearchParams(query);
  const map = new Map(params);
  const types = params.getAll('event_type');
  if (types.length > 1) map.set('event_type', types.join(','));
  return map;
}

/** The names of `params` (as readQuery made them: once each, in order of appearance) that `known` does not hold. */
export function unknownParams(params: ReadonlyMap<string, string>, known: ReadonlySet<string>): string[] {
  return [...params.keys()].filter((name) => !known.has(name));
}

/** The X-Ignored-Query-Params header naming `names` (none when empty); see ignoredNamesHeader. */
export function ignoredParamsHeader(names: readonly string[]): Record<string, string> {
  return ignoredNamesHeader(IGNORED_PARAMS_HEADER, names);
}
