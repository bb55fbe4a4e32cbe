/**
 * True when JSON text nests containers deeper than `max` (`{}` and `[]` are depth 1). Brackets inside strings do
 * not count.
 *
 * Hint: a scan of the text, not of the parsed value: it allocates nothing and skips string contents with indexOf,
 * so the hot ingest path pays well under a JSON.parse for it. `tooDeepAt` then names the field, only for deep input.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (fewBrackets(text, max)) return false;
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the string opened at `open`, or -1 when there is none. */
export function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * True when the text holds at most `max` opening brackets in all, inside strings or not: then it cannot nest deeper
 * than `max`. Hint: two native indexOf sweeps, about a third of the scan above for a typical one-event message.
 */
function fewBrackets(text: string, max: number): boolean {
  let count = 0;
  for (let at = text.indexOf('{'); at >= 0; at = text.indexOf('{', at + 1)) if (++count > max) return false;
  for (let at = text.indexOf('['); at >= 0; at = text.indexOf('[', at + 1)) if (++count > max) return false;
  return true;
}
