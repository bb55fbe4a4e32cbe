/** At most this many names, each cut to NAME_CHARS, go in a header: it stays small whatever the request holds. */
const HEADER_NAMES = 10;
const NAME_CHARS = 64;

/** Each lone surrogate on its own (a well-formed pair never matches). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * One name as the header shows it: its first NAME_CHARS code points, percent-encoded. Hint: encodeURIComponent
 * throws on a lone surrogate (a JSON key `"a\ud800"` is one), which turned a valid publish into a 500; it is
 * written as its `\ud800` escape instead, as the 422 for a stored field names it.
 */
function shownName(name: string): string {
  const cut = Array.from(name).slice(0, NAME_CHARS).join('');
  const text = cut.isWellFormed()
    ? cut
    : cut.replace(LONE_SURROGATE, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`);
  return encodeURIComponent(text);
}

/**
 * The response header `header` listing `names` (none when empty): names a request carried that the server ignored.
 * Hint: the names come from the client, so each is percent-encoded (no CR, LF or comma can reach the header) and
 * the list is bounded; a longer list ends with `...`.
 */
export function ignoredNamesHeader(header: string, names: readonly string[]): Record<string, string> {
  if (names.length === 0) return {};
  const shown = names.slice(0, HEADER_NAMES).map(shownName);
  if (names.length > HEADER_NAMES) shown.push('...');
  return { [header]: shown.join(', ') };
}

/** At most this many names go in a WebSocket reply's `ignored` list, each cut to NAME_CHARS code points. */
export const LISTED_NAMES = 20;

/**
 * `names` as a WebSocket reply's `ignored` lists them: the first LISTED_NAMES, each cut to NAME_CHARS code points
 * (`…` marks a cut), then `… and N more` when there are more. Hint (probe): a 1 MB update_filters of 95,000 unknown
 * keys was answered with all of them (844,009 bytes), and four sockets sending such messages held /health 1.6-3.4 s.
 */
export function listedNames(names: readonly string[]): string[] {
  const listed = names.slice(0, LISTED_NAMES).map((name) => {
    const points = Array.from(name);
    return points.length <= NAME_CHARS ? name : `${points.slice(0, NAME_CHARS).join('')}…`;
  });
  if (names.length > LISTED_NAMES) listed.push(`… and ${names.length - LISTED_NAMES} more`);
  return listed;
}
