/**
 * The stderr line for offsets retention deleted from a forward read: `after` + 1 up to `firstAvailable` - 1 (the
 * server's X-First-Available-Offset), cut at `to`; null when nothing in the range was deleted. Hint: worded as the
 * `tail --follow` notice, so the same gap reads the same whichever way it was read.
 */
export function deletedOffsetsNotice(
  after: number,
  firstAvailable: number,
  to = Number.POSITIVE_INFINITY,
): string | null {
  const first = after + 1;
  const last = Math.min(firstAvailable - 1, to);
  if (last < first) return null;
  const deleted = first === last ? `offset ${first} was` : `offsets ${first}–${last} were`;
  const next = firstAvailable <= to ? `output starts at ${firstAvailable}` : 'none of the range asked for remains';
  return `${deleted} deleted by retention; ${next}`;
}

/** The first stored offset a GET /events answer names (X-First-Available-Offset), or null without a valid one. */
export function firstAvailableOf(headers: Headers): number | null {
  const text = headers.get('x-first-available-offset');
  // Hint: decimal digits only, as the server writes it; anything else is not read as a gap.
  if (text === null || !/^[0-9]{1,15}$/.test(text)) return null;
  return Number(text);
}
