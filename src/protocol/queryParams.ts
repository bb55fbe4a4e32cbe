import { type Issue, preview } from './issue.js';

/** The most records, sessions or subscribers one listing answers with. */
export const MAX_LIST_LIMIT = 1000;
/** A listing's size when the request names none. */
export const DEFAULT_LIST_LIMIT = 100;

/** The response header naming query parameters the route does not know (so a misspelt filter is visible). */
export const IGNORED_PARAMS_HEADER = 'X-Ignored-Query-Params';
/** At most this many names, each cut to NAME_CHARS, go in the header: it stays small whatever the query holds. */
const HEADER_NAMES = 10;
const NAME_CHARS = 64;

const DIGITS = /^\d+$/;

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
  issues.push({ field: 'limit', message: `must be an integer from 1 to ${max} (got ${preview(text)})` });
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

/** The names in `query` (a URL's query string) that `known` does not hold, once each, in order of appearance. */
export function unknownParams(query: string, known: ReadonlySet<string>): string[] {
  const unknown = new Set<string>();
  for (const name of new URLSearchParams(query).keys()) if (!known.has(name)) unknown.add(name);
  return [...unknown];
}

/**
 * The header listing `names` (none when empty). Hint: the names come from the client, so each is percent-encoded
 * (no CR, LF or comma can reach the header) and the list is bounded; a longer list ends with `...`.
 */
export function ignoredParamsHeader(names: readonly string[]): Record<string, string> {
  if (names.length === 0) return {};
  // Hint: cut by code points, so no half of a surrogate pair reaches encodeURIComponent (it would throw).
  const cut = (name: string) => Array.from(name).slice(0, NAME_CHARS).join('');
  const shown = names.slice(0, HEADER_NAMES).map((name) => encodeURIComponent(cut(name)));
  if (names.length > HEADER_NAMES) shown.push('...');
  return { [IGNORED_PARAMS_HEADER]: shown.join(', ') };
}
