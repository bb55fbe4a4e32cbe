/** At most this many names, each cut to NAME_CHARS, go in a header: it stays small whatever the request holds. */
const HEADER_NAMES = 10;
const NAME_CHARS = 64;

/**
 * The response header `header` listing `names` (none when empty): names a request carried that the server ignored.
 * Hint: the names come from the client, so each is percent-encoded (no CR, LF or comma can reach the header) and
 * the list is bounded; a longer list ends with `...`.
 */
export function ignoredNamesHeader(header: string, names: readonly string[]): Record<string, string> {
  if (names.length === 0) return {};
  // Hint: cut by code points, so no half of a surrogate pair reaches encodeURIComponent (it would throw).
  const cut = (name: string) => Array.from(name).slice(0, NAME_CHARS).join('');
  const shown = names.slice(0, HEADER_NAMES).map((name) => encodeURIComponent(cut(name)));
  if (names.length > HEADER_NAMES) shown.push('...');
  return { [header]: shown.join(', ') };
}
